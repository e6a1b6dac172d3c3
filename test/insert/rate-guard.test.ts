/**
 * InsertRateGuard on a controlled clock (vitest's fake setTimeout and Date): each table's INSERTs are spaced
 * 1000 / max_inserts_per_second ms apart, shared by every caller of one guard, and a caller that must wait is told
 * how long it waited.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InsertRateGuard } from '../../src/insert/inserter.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A guard slot request whose resolution the test can observe. */
function request(guard: InsertRateGuard, table: string, perSecond: number): { waited: number | undefined } {
  const state: { waited: number | undefined } = { waited: undefined };
  void guard.acquire(table, perSecond).then((waited) => (state.waited = waited));
  return state;
}

describe('InsertRateGuard', () => {
  it('lets the first insert go at once and spaces the next ones by 1000 / perSecond ms', async () => {
    const guard = new InsertRateGuard();
    const first = request(guard, 't', 2);
    const second = request(guard, 't', 2);
    const third = request(guard, 't', 2);
    await vi.advanceTimersByTimeAsync(0);
    expect(first.waited).toBe(0);
    expect(second.waited).toBeUndefined();
    await vi.advanceTimersByTimeAsync(499);
    expect(second.waited).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(second.waited).toBe(500);
    expect(third.waited).toBeUndefined();
    await vi.advanceTimersByTimeAsync(500);
    expect(third.waited).toBe(1000);
  });

  it('is per table: another table has its own budget', async () => {
    const guard = new InsertRateGuard();
    const a = request(guard, 'a', 1);
    const b = request(guard, 'b', 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(a.waited).toBe(0);
    expect(b.waited).toBe(0);
  });

  it('shares a table budget between its callers (the inserters of one client)', async () => {
    const guard = new InsertRateGuard();
    const one = request(guard, 't', 4);
    const other = request(guard, 't', 4); // another inserter, its own rate unused: it still waits for the table
    await vi.advanceTimersByTimeAsync(249);
    expect(one.waited).toBe(0);
    expect(other.waited).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(other.waited).toBe(250);
  });

  it('a slot not taken in time is not saved up: after a quiet spell the next insert goes at once', async () => {
    const guard = new InsertRateGuard();
    expect(await guard.acquire('t', 1)).toBe(0);
    await vi.advanceTimersByTimeAsync(5_000);
    const next = request(guard, 't', 1);
    const after = request(guard, 't', 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(next.waited).toBe(0);
    expect(after.waited).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(after.waited).toBe(1_000);
  });

  it('0 (or no finite rate) turns it off', async () => {
    const guard = new InsertRateGuard();
    for (let i = 0; i < 5; i++) expect(await guard.acquire('t', 0)).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
