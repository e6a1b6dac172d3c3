/**
 * Starts a ClickHouse server the way the tests get theirs, prints how to reach it, and keeps it until Ctrl-C.
 *
 *   npx tsx scripts/clickhouse-server.ts           # URL / container / local binary, like the test run
 *   npx tsx scripts/clickhouse-server.ts --local   # always the local binary (Debian's 18.16)
 *   npx tsx scripts/clickhouse-server.ts --chdb    # ClickHouse 26.7 from the installed chdb package
 *
 * Then e.g.: CLICKHOUSE_URL=<printed url> npm test   (reuses this server instead of starting one)
 */
import { startServer } from '../test/harness/server.js';

const prefer = process.argv.includes('--chdb') ? 'chdb' : process.argv.includes('--local') ? 'local' : 'any';
const server = await startServer({ prefer, log: (m) => console.error(`[clickhouse] ${m}`) });
const urlWithHttp = server.httpPort !== undefined ? `${server.url}?http_port=${server.httpPort}` : server.url;
console.log(`kind:     ${server.kind}`);
console.log(`version:  ${server.version ?? 'unknown'} (protocol revision ${server.revision ?? 'unknown'})`);
if (server.image !== undefined) console.log(`image:    ${server.image}`);
console.log(`native:   ${server.host}:${server.port}`);
console.log(`http:     ${server.httpPort !== undefined ? `http://${server.host}:${server.httpPort}/` : 'n/a'}`);
console.log(`url:      ${urlWithHttp}`);
console.log(`CLICKHOUSE_URL=${urlWithHttp}`);
console.log(`client:   clickhouse-client --host ${server.host} --port ${server.port}`);
console.log('Ctrl-C stops it.');

const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
setInterval(() => {}, 1 << 30);
