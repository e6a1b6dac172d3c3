/**
 * The fuzz campaign: `npm run fuzz` runs at least 1,000,000 cases of the decoder property (arbitraries.ts) over the
 * recorded 18.16 streams, split across worker processes with distinct seeds.
 *
 *   npm run fuzz                                  # 1,000,000 cases, one worker per core, seed from the clock
 *   npm run fuzz -- --runs 5000000 --seed 42 --workers 4
 *
 * Each worker checks, per case: packets or a typed error, no other exception, settled within CASE_TIME_LIMIT_MS
 * (an unsettled promise counts as a hang). The parent is a watchdog: a worker that reports no progress for
 * WATCHDOG_MS (a synchronous infinite loop cannot time itself out) is killed and reported as a hang, with the seed
 * and the case range to replay. Memory: every worker samples heap + ArrayBuffers during the run and reports its
 * peak RSS (the kernel's high-water mark, which also catches short-lived allocations); both must stay under
 * MEMORY_BUDGET. The fuzz caps (target.ts FUZZ_LIMITS) are 1 MiB strings, 2^20 rows / elements / keys, 4 MiB frames.
 */
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { checkCase, describeCase, fuzzCase, makeFrameSeeds, type FuzzCase } from './arbitraries.js';
import { loadFixtures } from './target.js';

const MEMORY_BUDGET = 1024 * 1024 * 1024;
const WATCHDOG_MS = 60_000;
const PROGRESS_EVERY = 2000;

interface Progress {
  type: 'progress';
  done: number;
}
interface Result {
  type: 'result';
  worker: number;
  seed: number;
  runs: number;
  decoded: number;
  typedErrors: number;
  byKind: Record<string, number>;
  peakHeapBytes: number;
  maxRssBytes: number;
  failure?: string;
  seconds: number;
}
type Message = Progress | Result;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function worker(index: number, seed: number, runs: number): Promise<void> {
  const fixtures = loadFixtures();
  const seeds = await makeFrameSeeds(fixtures);
  const started = Date.now();
  let done = 0;
  let decoded = 0;
  let typedErrors = 0;
  let peakHeap = 0;
  const byKind: Record<string, number> = {};
  let failure: string | undefined;
  const send = (message: Message) => process.send!(message);
  try {
    await fc.assert(
      fc.asyncProperty(fuzzCase(fixtures, seeds), async (c: FuzzCase) => {
        const outcome = await checkCase(c);
        if (outcome === 'decoded') decoded++;
        else typedErrors++;
        byKind[c.kind] = (byKind[c.kind] ?? 0) + 1;
        done++;
        if (done % 100 === 0) {
          const m = process.memoryUsage();
          peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
          if (peakHeap > MEMORY_BUDGET) throw new Error(`heap + ArrayBuffers reached ${peakHeap} bytes`);
        }
        if (done % PROGRESS_EVERY === 0) send({ type: 'progress', done });
      }),
      {
        numRuns: runs,
        seed,
        endOnFailure: true,
        reporter: (details) => {
          if (details.failed) {
            const counterexample = details.counterexample?.[0] as FuzzCase | undefined;
            failure =
              `${String(details.errorInstance)} (seed ${details.seed}, path ${details.counterexamplePath})\n` +
              (counterexample ? describeCase(counterexample) : '');
          }
        },
      },
    );
  } catch (error) {
    failure ??= String(error);
  }
  const maxRss = process.resourceUsage().maxRSS * 1024;
  if (!failure && maxRss > MEMORY_BUDGET) failure = `peak RSS ${maxRss} bytes exceeds the budget of ${MEMORY_BUDGET}`;
  send({
    type: 'result',
    worker: index,
    seed,
    runs: done,
    decoded,
    typedErrors,
    byKind,
    peakHeapBytes: peakHeap,
    maxRssBytes: maxRss,
    failure,
    seconds: (Date.now() - started) / 1000,
  });
  process.disconnect?.();
}

function runWorker(index: number, seed: number, runs: number): Promise<Result> {
  return new Promise((resolve) => {
    const child: ChildProcess = fork(
      fileURLToPath(import.meta.url),
      ['--worker', String(index), '--seed', String(seed), '--runs', String(runs)],
      {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    let done = 0;
    let result: Result | undefined;
    let last = Date.now();
    const watchdog = setInterval(() => {
      if (Date.now() - last > WATCHDOG_MS) {
        clearInterval(watchdog);
        child.kill('SIGKILL');
        result = {
          type: 'result',
          worker: index,
          seed,
          runs: done,
          decoded: 0,
          typedErrors: 0,
          byKind: {},
          peakHeapBytes: 0,
          maxRssBytes: 0,
          failure: `hang: no progress for ${WATCHDOG_MS / 1000} s after case ${done}; replay with --workers 1 --seed ${seed} --runs ${done + PROGRESS_EVERY}`,
          seconds: 0,
        };
      }
    }, 1000);
    child.on('message', (message: Message) => {
      last = Date.now();
      if (message.type === 'progress') done = message.done;
      else result = message;
    });
    child.on('exit', (code, signal) => {
      clearInterval(watchdog);
      resolve(
        result ?? {
          type: 'result',
          worker: index,
          seed,
          runs: done,
          decoded: 0,
          typedErrors: 0,
          byKind: {},
          peakHeapBytes: 0,
          maxRssBytes: 0,
          failure: `worker exited (code ${code}, signal ${signal}) after case ${done}: a crash`,
          seconds: 0,
        },
      );
    });
  });
}

async function main(): Promise<void> {
  const total = Number(arg('runs') ?? 1_000_000);
  const workers = Number(arg('workers') ?? Math.max(1, Math.min(os.availableParallelism(), 8)));
  const seed = Number(arg('seed') ?? Date.now() % 2 ** 31);
  const per = Math.ceil(total / workers);
  console.log(`fuzz campaign: ${total} cases, ${workers} workers, seeds ${seed}..${seed + workers - 1}`);
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: workers }, (_, i) => runWorker(i, seed + i, per)));
  const seconds = (Date.now() - started) / 1000;
  const sum = (f: (r: Result) => number) => results.reduce((a, r) => a + f(r), 0);
  const byKind: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.byKind)) byKind[k] = (byKind[k] ?? 0) + v;
  const failures = results.filter((r) => r.failure);
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
  console.log(
    [
      `cases:        ${sum((r) => r.runs)} (${Object.entries(byKind)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
      `outcomes:     ${sum((r) => r.decoded)} decoded, ${sum((r) => r.typedErrors)} typed errors, ${failures.length} failing workers`,
      `peak memory:  heap+ArrayBuffers ${mib(Math.max(...results.map((r) => r.peakHeapBytes)))}, RSS ${mib(Math.max(...results.map((r) => r.maxRssBytes)))} (budget ${mib(MEMORY_BUDGET)})`,
      `time:         ${seconds.toFixed(0)} s (${Math.round(sum((r) => r.runs) / seconds)} cases/s)`,
      `node:         ${process.version}, seeds ${results.map((r) => r.seed).join(', ')}`,
    ].join('\n'),
  );
  for (const f of failures) console.log(`\nworker ${f.worker} (seed ${f.seed}) FAILED:\n${f.failure}`);
  console.log(failures.length === 0 ? '\nresult: PASS' : '\nresult: FAIL');
  process.exitCode = failures.length === 0 ? 0 : 1;
}

if (process.argv.includes('--worker')) {
  await worker(Number(arg('worker')), Number(arg('seed')), Number(arg('runs')));
} else {
  await main();
}
