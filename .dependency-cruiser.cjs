/**
 * The stack (README, "Layout"), enforced by `npm run lint` (dependency-cruiser): each folder of src/ imports only the
 * folders below it, and no module takes part in an import cycle. Type-only imports count too.
 *
 *   client        the public API; wires the stages below into the insert core
 *   defaults      client-side DEFAULT/MATERIALIZED: a stage of the insert core, built on the expression engine
 *   insert        the insert core (shape, encode once, send, resend) and its layers: inserter, stream, sharding
 *   expressions   the SQL expression engine (parser, evaluator); beside insert, never imported by it
 *   connection    socket, handshake, packet reader, query state machine, pool, a session's pinned connection
 *   columns       type parser, one codec per type family, Native blocks
 *   compression   compressed frames, CityHash128, LZ4, ZSTD
 *   protocol      bytes, packets, revisions, settings
 *
 * src/errors.ts and src/version.ts are leaves any layer may import; src/index.ts is the package's entry, imported by
 * no module of src/.
 */
const BELOW = {
  protocol: [],
  compression: ['protocol'],
  columns: ['protocol', 'compression'],
  connection: ['protocol', 'compression', 'columns'],
  expressions: ['protocol', 'compression', 'columns'],
  insert: ['protocol', 'compression', 'columns', 'connection'],
  defaults: ['protocol', 'compression', 'columns', 'connection', 'insert', 'expressions'],
  client: ['protocol', 'compression', 'columns', 'connection', 'insert', 'expressions', 'defaults'],
};

const layerRules = Object.entries(BELOW).map(([layer, below]) => ({
  name: `layer-${layer}`,
  comment: below.length
    ? `src/${layer} may import only src/{${below.join(',')}} (and src/errors.ts, src/version.ts)`
    : `src/${layer} is the bottom of the stack: it imports no other folder of src/`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: '^src/', pathNot: [`^src/(${[layer, ...below].join('|')})/`, '^src/(errors|version)\\.ts$'] },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycle, between folders or between files of one folder',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'leaves-import-nothing',
      comment: 'src/errors.ts and src/version.ts are imported by every layer: they import nothing of src/',
      severity: 'error',
      from: { path: '^src/(errors|version)\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'no-import-of-the-entry',
      comment: 'src/index.ts is the public entry point; modules of src/ import what they need directly',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/index\\.ts$' },
    },
    {
      name: 'known-folders-only',
      comment: 'A new folder of src/ takes its place in the stack here (BELOW) before it is used',
      severity: 'error',
      from: { path: '^src/', pathNot: [`^src/(${Object.keys(BELOW).join('|')})/`, '^src/[^/]+\\.ts$'] },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
