/**
 * generateUUIDv7 is random, so it is checked by the properties ClickHouse 26.7's values have (18.16 lacks the
 * function): the RFC 9562 version and variant, a 48-bit millisecond timestamp (ours: the insert's one now()),
 * distinct values, increasing within one evaluation (26.7's per-row counter), and the UUID type.
 */
import { query as chdbQuery } from 'chdb';
import { describe, expect, it } from 'vitest';
import { compileExpression } from '../../src/expressions/index.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ROWS = 2000;

function timestampMs(uuid: string): number {
  return parseInt(uuid.replace(/-/g, '').slice(0, 12), 16);
}

function checkProperties(values: readonly string[], from: number, to: number): void {
  expect(values).toHaveLength(ROWS);
  for (const v of values) {
    expect(v).toMatch(V7);
    expect(timestampMs(v)).toBeGreaterThanOrEqual(from);
    expect(timestampMs(v)).toBeLessThanOrEqual(to);
  }
  expect(new Set(values).size).toBe(ROWS);
  // Fixed-width lowercase hex: string order is numeric order.
  for (let i = 1; i < values.length; i++) expect(values[i]! > values[i - 1]!).toBe(true);
}

describe('generateUUIDv7', () => {
  it('ClickHouse 26.7: version 7, variant, clock timestamp, distinct, increasing, type UUID', () => {
    const before = Date.now();
    const text = String(
      chdbQuery(
        `SELECT toTypeName(generateUUIDv7(number)), generateUUIDv7(number) FROM numbers(${ROWS})`,
        'TabSeparated',
      ),
    );
    const after = Date.now();
    const lines = text.trim().split('\n');
    expect(new Set(lines.map((l) => l.split('\t')[0]))).toEqual(new Set(['UUID']));
    checkProperties(
      lines.map((l) => l.split('\t')[1]!),
      before,
      after,
    );
  });

  it("ours: the same properties, with the timestamp of the insert's now()", () => {
    const compiled = compileExpression('generateUUIDv7()', {}, { timezone: 'UTC' });
    expect(compiled.type).toBe('UUID');
    const nowMs = Date.UTC(2026, 10, 23, 12, 0, 0, 123);
    const values = Array.from(compiled.evaluate({}, ROWS, { now: nowMs }) as ArrayLike<string>);
    checkProperties(values, nowMs, nowMs);
  });
});
