/**
 * How much of real-world DEFAULT/MATERIALIZED the client computes, and whether it computes it exactly.
 *
 *   npx tsx bench/defaults-corpus.ts [--verbose] [--filter TEXT]
 *
 * For every deterministic expression of test/expressions/corpus/schemas.json (real open-source schemas), the
 * client's result over 50 generated rows is compared with ClickHouse 26.7's (chdb) as Native bytes
 * (test/expressions/corpus-runner.ts). Outcomes: computed (bytes equal) / refused at compile / refused at evaluate
 * (an insert then leaves the column to the server) / wrong (bytes differ, or the client computed rows ClickHouse
 * refuses) / crashed (anything but UnsupportedExpressionError from the client).
 */
import { query as chdbQuery } from 'chdb';
import {
  cleanupCorpusFiles,
  CORPUS_ROWS,
  loadCorpus,
  OUTCOMES,
  runCorpusEntry,
  type CorpusEntry,
  type Outcome,
} from '../test/expressions/corpus-runner.js';

const verbose = process.argv.includes('--verbose');
const filterAt = process.argv.indexOf('--filter');
const filter = filterAt > 0 ? process.argv[filterAt + 1] : undefined;
const corpus = loadCorpus();

// ---- the run ----------------------------------------------------------------------------------------------------

const tally = new Map<Outcome, number>();
const rows: Array<{ e: CorpusEntry; outcome: Outcome; detail: string }> = [];
const entries = corpus.filter(
  (e) => e.deterministic && (!filter || e.expression.includes(filter) || e.project.includes(filter)),
);
try {
  for (const [i, e] of entries.entries()) {
    const { outcome, detail } = await runCorpusEntry(e, 1000 + i);
    tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
    rows.push({ e, outcome, detail });
  }
} finally {
  cleanupCorpusFiles();
}

for (const { e, outcome, detail } of rows) {
  if (outcome === 'computed' && !verbose) continue;
  console.log(
    `${outcome.padEnd(20)} ${e.project}  ${e.column} ${e.type ?? '(untyped)'} ${e.kind} ${e.expression.replace(/\s+/g, ' ').slice(0, 140)}`,
  );
  if (detail && (verbose || outcome !== 'refused at compile'))
    console.log(`      ${detail.split('\n').slice(0, 4).join('\n      ').slice(0, 600)}`);
}
const total = entries.length;
const computed = tally.get('computed') ?? 0;
console.log('');
console.log(
  `corpus: ${corpus.length} expressions from ${new Set(corpus.map((e) => e.project)).size} projects; ${total} deterministic measured, ${CORPUS_ROWS} rows each, against ClickHouse ${String(chdbQuery('SELECT version()', 'TSV')).trim()} (chdb)`,
);
for (const o of OUTCOMES) {
  console.log(
    `${o.padEnd(20)} ${String(tally.get(o) ?? 0).padStart(4)}  ${((100 * (tally.get(o) ?? 0)) / total).toFixed(1)}%`,
  );
}
console.log(`computed exactly: ${computed} of ${total} (${((100 * computed) / total).toFixed(1)}%)`);
if ((tally.get('wrong') ?? 0) > 0 || (tally.get('crashed') ?? 0) > 0) process.exitCode = 1;
