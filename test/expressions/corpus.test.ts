/**
 * The corpus of real-schema DEFAULT/MATERIALIZED expressions (corpus/schemas.json), each over 50 generated rows,
 * against ClickHouse 26.7 (chdb) as Native bytes (corpus-runner.ts): what the client computes it computes exactly,
 * it never crashes, and it computes at least 90% of the deterministic expressions (the rest go to the server).
 * `npx tsx bench/defaults-corpus.ts` prints the same measurement with the refusals.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupCorpusFiles, loadCorpus, runCorpusEntry, type Outcome } from './corpus-runner.js';

const entries = loadCorpus().filter((e) => e.deterministic);
const outcomes: Outcome[] = [];
afterAll(cleanupCorpusFiles);

describe('real-schema corpus against ClickHouse 26.7', () => {
  entries.forEach((e, i) => {
    it(`${e.project} ${e.column}: ${e.expression.replace(/\s+/g, ' ').slice(0, 80)}`, async () => {
      const { outcome, detail } = await runCorpusEntry(e, 1000 + i);
      outcomes.push(outcome);
      expect(['wrong', 'crashed', 'no inputs'].includes(outcome) ? `${outcome}: ${detail}` : 'ok').toBe('ok');
    });
  });

  it('computes at least 90% of the deterministic expressions exactly', () => {
    expect(outcomes.length).toBe(entries.length);
    const computed = outcomes.filter((o) => o === 'computed').length;
    expect(computed / entries.length).toBeGreaterThanOrEqual(0.9);
  });
});
