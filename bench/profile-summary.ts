/**
 * Prints the top self-time functions of a .cpuprofile: `npx tsx bench/profile-summary.ts prof/X.cpuprofile [N]`.
 * Percentages are of busy time: `(idle)` and the inspector's own `dispatch` (the in-process Profiler.stop call of
 * bench/profile-insert.ts, which absorbs the last sample interval) are listed but not counted.
 */
import fs from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const file = process.argv[2]!;
const top = Number(process.argv[3] ?? 25);
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const byName = new Map<string, number>();
let total = 0;
const NOT_BUSY = new Set(['(idle)', 'dispatch']);
for (const node of profile.nodes) {
  const t = self.get(node.id) ?? 0;
  if (!NOT_BUSY.has(node.callFrame.functionName)) total += t;
  const where = node.callFrame.url
    ? `${node.callFrame.url.replace(/^.*\/work\/main\//, '')}:${node.callFrame.lineNumber + 1}`
    : '';
  const key = `${node.callFrame.functionName || '(anonymous)'} ${where}`;
  byName.set(key, (byName.get(key) ?? 0) + t);
}
const rows = [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
console.log(`busy ${(total / 1000).toFixed(0)} ms`);
for (const [name, t] of rows)
  console.log(`${((t / total) * 100).toFixed(1).padStart(5)}%  ${(t / 1000).toFixed(0).padStart(6)} ms  ${name}`);
