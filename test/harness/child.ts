/** Child processes of the runtime running the test, for scripts that must exit by themselves. */
import { spawn } from 'node:child_process';

/** This runtime's arguments to run `file`: TypeScript through tsx on Node; Bun and Deno run it natively. */
export function runtimeArgs(file: string): string[] {
  if ('Bun' in globalThis) return [file];
  // src/ imports './x.js' for x.ts: Deno resolves that with sloppy imports.
  if ('Deno' in globalThis) return ['run', '-A', '--unstable-sloppy-imports', file];
  return /\.[mc]?ts$/.test(file) ? ['--import', 'tsx', file] : [file];
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs this runtime's executable with `args` until it exits and its output is read. `killAfterMs` is a bound, not a
 * measurement: a child still alive by then does not exit by itself, and is killed (the signal says so).
 */
export async function runToExit(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; killAfterMs?: number } = {},
): Promise<ChildExit> {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const guard = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 45_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  clearTimeout(guard);
  return { code, signal, stdout, stderr };
}
