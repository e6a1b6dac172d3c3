/**
 * The client-side evaluator alone, per MATERIALIZED expression of bench/defaults-table.ts: CPU ms per million rows
 * of evaluateColumns (and toCodecValues) over blocks of EVAL_BLOCK_ROWS rows (default 16 384), on fresh input each
 * round (the application's strings as V8 builds them: ropes), several rounds, median and spread. No server.
 *
 *   node --expose-gc --import tsx bench/defaults-eval.ts      (EVAL_ROWS, default 1 000 000; EVAL_ROUNDS, default 5;
 *                                                              EVAL_FLAT=1: inputs flattened first)
 */
import { compileExpression } from '../src/expressions/index.js';
import { full, type Column } from '../src/expressions/column.js';
import { typeOf } from '../src/expressions/types.js';
import { toCodecValues, toInternal } from '../src/expressions/values.js';
import { defaultsData, DEFAULTS_SCHEMA } from './defaults-table.js';

const ROWS = Number(process.env.EVAL_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.EVAL_ROUNDS ?? 5);
const BLOCK = Number(process.env.EVAL_BLOCK_ROWS ?? 16_384);
const gc = (globalThis as { gc?: () => void }).gc;

const columns = [...DEFAULTS_SCHEMA.matchAll(/^\s+(\w+) (\w+)(?: MATERIALIZED (.+?))?,?$/gm)].map((m) => ({
  name: m[1]!,
  type: m[2]!,
  expression: m[3],
}));
const types = new Map(columns.map((c) => [c.name, c.type]));
const computed = columns
  .filter((c) => c.expression)
  .map((c) => ({
    name: c.name,
    compiled: compileExpression(c.expression!, types, { timezone: 'UTC', resultType: c.type }),
  }));
const cpu: Record<string, number[]> = Object.fromEntries([...computed.map((c) => [c.name, []]), ['all', []]]);
for (let round = 0; round < ROUNDS; round++) {
  const data = defaultsData(ROWS) as Record<string, ArrayLike<unknown>>;
  // EVAL_FLAT=1: the strings flattened before timing (as if the application had read them), to see what the
  // evaluator pays for flattening the application's concatenated strings.
  if (process.env.EVAL_FLAT === '1')
    for (const values of Object.values(data))
      if (Array.isArray(values)) for (const v of values as string[]) Number(v.charCodeAt(v.length - 1));
  gc?.();
  const spent = new Map<string, number>();
  const all = process.cpuUsage();
  for (let start = 0; start < ROWS; start += BLOCK) {
    const rows = Math.min(BLOCK, ROWS - start);
    const inputs = new Map<string, Column>();
    for (const c of columns.filter((c) => !c.expression)) {
      const values = data[c.name]!;
      const slice = ArrayBuffer.isView(values)
        ? (values as unknown as Uint8Array).subarray(start, start + rows)
        : (values as unknown[]).slice(start, start + rows);
      const type = typeOf(c.type);
      inputs.set(c.name, full(type, toInternal(type, slice, rows)));
    }
    for (const c of computed) {
      const t = process.cpuUsage();
      toCodecValues(c.compiled.evaluateColumns(inputs, rows, Date.now()), rows);
      const d = process.cpuUsage(t);
      spent.set(c.name, (spent.get(c.name) ?? 0) + d.user + d.system);
    }
  }
  const d = process.cpuUsage(all);
  for (const [name, us] of spent) cpu[name]!.push(us / 1000 / (ROWS / 1e6));
  cpu.all!.push((d.user + d.system) / 1000 / (ROWS / 1e6));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`${ROWS} rows in blocks of ${BLOCK}, ${ROUNDS} rounds: CPU ms per M rows, median (min-max)`);
for (const [name, xs] of Object.entries(cpu))
  console.log(
    `${name.padEnd(12)} ${median(xs).toFixed(0).padStart(6)} (${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)})`,
  );
