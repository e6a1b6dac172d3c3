/**
 * The V8 CPU profiler around one measured piece of work, shared by bench/profile-{insert,read,defaults}.ts:
 * sampled every 200 µs, written as a .cpuprofile (Chrome DevTools, or bench/profile-summary.ts).
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';

/** Starts profiling; the returned function stops it and writes the profile to PROFILE_OUT, else `defaultOut`. */
export async function startCpuProfile(defaultOut: string): Promise<() => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    fs.writeFileSync(process.env.PROFILE_OUT ?? defaultOut, JSON.stringify(profile));
    session.disconnect();
  };
}
