/**
 * Same-run comparisons: each case is measured as pairs (ours, then the C++ client, or the other way round on
 * alternate runs), and what counts is the ratio within a pair. The machine's load (/proc/loadavg) is noted with
 * every pair, because a shared 2-core machine moves absolute figures by several times between runs.
 */
import fs from 'node:fs';
import type { Measured } from './peers.js';

export async function measureInProcess(run: () => Promise<unknown>): Promise<Measured> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

/** The 1-minute load average, or NaN where /proc/loadavg does not exist. */
export function loadAverage(): number {
  try {
    return Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}

export interface Pair {
  ours: Measured;
  peer: Measured;
  /** Load average when the pair started and ended. */
  load: [number, number];
}

export interface Case {
  /** What is measured, e.g. "row objects → MergeTree ORDER BY (user_id, ts)". */
  name: string;
  rows: number;
  /** The target ratio (ours / C++ speed), or undefined for an informational case. */
  goal?: number;
  pairs: Pair[];
}

/** Runs one pair: ours and the peer back to back, ours first on even runs, the peer first on odd ones. */
export async function pair(run: number, ours: () => Promise<Measured>, peer: () => Promise<Measured>): Promise<Pair> {
  const before = loadAverage();
  let o: Measured;
  let p: Measured;
  if (run % 2 === 0) {
    o = await ours();
    p = await peer();
  } else {
    p = await peer();
    o = await ours();
  }
  return { ours: o, peer: p, load: [before, loadAverage()] };
}

export const ratioOf = (p: Pair): number => p.peer.seconds / p.ours.seconds;

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const mrows = (rows: number, m: Measured) => rows / m.seconds / 1e6;
const cpuPerM = (rows: number, m: Measured) => (m.cpuSeconds / rows) * 1e6;

function spread(xs: readonly number[], digits: number, suffix = ''): string {
  const f = (x: number) => x.toFixed(digits) + suffix;
  if (xs.length === 1) return f(xs[0]!);
  return `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
}

export function markdownTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** The cases as one table: medians with min–max over the runs, CPU per million rows, ratios, load. */
export function casesTable(cases: readonly Case[], peerName: string): string {
  return markdownTable(
    [
      'case',
      'rows',
      'ours M rows/s',
      'ours CPU s / M rows',
      `${peerName} M rows/s`,
      `${peerName} CPU s / M rows`,
      'ours / C++ (median, min–max)',
      'per run',
      'goal',
      'load (1 min)',
    ],
    cases.map((c) => {
      const ratios = c.pairs.map(ratioOf);
      const loads = c.pairs.flatMap((p) => p.load).filter((l) => !Number.isNaN(l));
      const met =
        c.goal === undefined ? '(info)' : `≥ ${c.goal.toFixed(1)}× ${median(ratios) >= c.goal ? 'met' : 'MISSED'}`;
      return [
        c.name,
        c.rows.toLocaleString('en-US'),
        spread(
          c.pairs.map((p) => mrows(c.rows, p.ours)),
          2,
        ),
        spread(
          c.pairs.map((p) => cpuPerM(c.rows, p.ours)),
          3,
        ),
        spread(
          c.pairs.map((p) => mrows(c.rows, p.peer)),
          2,
        ),
        spread(
          c.pairs.map((p) => cpuPerM(c.rows, p.peer)),
          3,
        ),
        spread(ratios, 2, '×'),
        ratios.map((r) => `${r.toFixed(2)}×`).join(', '),
        met,
        loads.length ? `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}` : 'n/a',
      ];
    }),
  );
}
