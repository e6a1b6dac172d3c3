import { startChdbServer, startLocalServer } from './harness/server.js';
import { createClient } from '../src/index.js';
for (const start of [startChdbServer, startLocalServer]) {
  const s = await start();
  const c = createClient({ host: s.host, port: s.port });
  for (const q of ['SELECT * FROM no_such_table_x', "SELECT throwIf(1, 'boom')", 'SELECT 1 +', `SELECT * FROM remote('127.0.0.1:1', system.one)`]) {
    try { await (await c.query({ query: q })).json(); } catch (e: any) {
      const chain = []; let x = e; while (x) { chain.push({ code: x.code, name: x.serverName, msg: x.message.slice(0, 300), stack: (x.serverStack ?? '').slice(0, 80) }); x = x.cause; }
      console.log(s.version, q, JSON.stringify(chain, null, 1));
    }
  }
  await c.close(); await s.stop();
}
