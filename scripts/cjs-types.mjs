/**
 * Writes dist/index.d.cts, the declarations `require('clickhouse-native')` resolves to. The package is ESM only;
 * Node from 20.19 (and 22.12) loads it through require(esm), which returns the module namespace. TypeScript in
 * CommonJS files needs a CommonJS-flavoured declaration entry to accept that require (node10/node16 resolution),
 * so this one re-exports the ESM declarations as they are: one set of types, one copy of the code at run time.
 */
import { writeFileSync } from 'node:fs';

writeFileSync(new URL('../dist/index.d.cts', import.meta.url), "export * from './index.js';\n");
