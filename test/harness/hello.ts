/**
 * The server's Hello (name, version, native protocol revision), read with a few lines of our own: the harness must
 * learn what it started without the client under test.
 */
import net from 'node:net';
import type { Endpoint } from './types.js';

/** The revision we announce: old enough that no server expects anything from us after its Hello. */
const HELLO_CLIENT_REVISION = 54406;

export interface ServerHello {
  name: string;
  major: number;
  minor: number;
  /** The server's native protocol revision (18.16.1: 54412). */
  revision: number;
}

function writeVarUInt(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}

function writeString(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([writeVarUInt(b.length), b]);
}

/** Parses a complete Hello (or Exception) packet from `buf`; undefined while more bytes are needed. */
function parseHello(buf: Buffer): ServerHello | undefined {
  let pos = 0;
  const varUInt = (): number | undefined => {
    let n = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (pos >= buf.length) return undefined;
      const b = buf[pos++]!;
      n += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return n;
    }
    throw new Error('bad VarUInt in the server Hello');
  };
  const str = (): string | undefined => {
    const len = varUInt();
    if (len === undefined || pos + len > buf.length) return undefined;
    const s = buf.toString('utf8', pos, pos + len);
    pos += len;
    return s;
  };
  const type = varUInt();
  if (type === undefined) return undefined;
  if (type === 2) {
    // Exception: Int32 code, String name, String message, ...
    if (buf.length < pos + 4) return undefined;
    const code = buf.readInt32LE(pos);
    pos += 4;
    const name = str();
    const message = name === undefined ? undefined : str();
    if (message === undefined) return undefined;
    throw Object.assign(new Error(`server refused the Hello: code ${code}, ${name}: ${message}`), { serverCode: code });
  }
  if (type !== 0) throw new Error(`expected a Hello packet (0), got packet type ${type}`);
  const name = str();
  const major = name === undefined ? undefined : varUInt();
  const minor = major === undefined ? undefined : varUInt();
  const revision = minor === undefined ? undefined : varUInt();
  if (revision === undefined) return undefined;
  return { name: name!, major: major!, minor: minor!, revision };
}

/**
 * Connects to the native port, sends a ClientHello and reads the server's Hello: its name, version and native
 * protocol revision. Closes the connection right after.
 */
function clientHello(server: Endpoint): Buffer {
  return Buffer.concat([
    writeVarUInt(0), // ClientHello
    writeString('clickhouse-native test harness'),
    writeVarUInt(1),
    writeVarUInt(0),
    writeVarUInt(HELLO_CLIENT_REVISION),
    writeString(server.database),
    writeString(server.username),
    writeString(server.password),
  ]);
}

/**
 * Sends a ClientHello and reads the answer: the server's Hello (resolved), or its Exception (rejected with an Error
 * carrying `serverCode`). With `untilClose`, it settles only once the server has closed the connection too.
 */
function exchangeHello(server: Endpoint, timeoutMs: number, untilClose: boolean): Promise<ServerHello> {
  return new Promise((resolve, reject) => {
    let done = false;
    let answer: { err?: Error; hello?: ServerHello } | undefined;
    let buf = Buffer.alloc(0);
    const socket = net.connect({ host: server.host, port: server.port });
    const finish = (err: Error | undefined, result?: ServerHello) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(result!);
    };
    const timer = setTimeout(
      () =>
        finish(
          new Error(
            answer
              ? `${server.host}:${server.port} answered the Hello but did not close the connection within ${timeoutMs} ms`
              : `no Hello from ${server.host}:${server.port} within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    socket.once('connect', () => socket.write(clientHello(server)));
    socket.on('data', (d: Buffer) => {
      if (answer) return;
      buf = Buffer.concat([buf, d]);
      try {
        const parsed = parseHello(buf);
        if (parsed) answer = { hello: parsed };
      } catch (err) {
        answer = { err: err as Error };
      }
      if (answer && !untilClose) finish(answer.err, answer.hello);
    });
    socket.once('error', (err) => finish(err));
    socket.once('close', () => {
      if (answer) finish(answer.err, answer.hello);
      else finish(new Error(`${server.host}:${server.port} closed the connection before its Hello`));
    });
  });
}

/**
 * Connects to the native port, sends a ClientHello and reads the server's Hello: its name, version and native
 * protocol revision. Closes the connection right after.
 */
export function nativeHello(server: Endpoint, timeoutMs = 5000): Promise<ServerHello> {
  return exchangeHello(server, timeoutMs, false);
}

/**
 * Logs in with credentials the server must refuse, and resolves with the server's error code once the server has
 * closed the connection (so whatever the server does after a failed login has happened by then). Rejects if the
 * login succeeds or the server never answers.
 */
export async function refusedLoginCode(server: Endpoint, timeoutMs = 10_000): Promise<number> {
  try {
    await exchangeHello(server, timeoutMs, true);
  } catch (err) {
    const code = (err as { serverCode?: unknown }).serverCode;
    if (typeof code === 'number') return code;
    throw err;
  }
  throw new Error(`${server.host}:${server.port} accepted the login of ${server.username}, which it should refuse`);
}

/** The server's protocol revision, or undefined (logged) when its Hello cannot be read. */
export async function askRevision(server: Endpoint, log: (m: string) => void): Promise<number | undefined> {
  try {
    return (await nativeHello(server, 5000)).revision;
  } catch (err) {
    log(`could not read the protocol revision from ${server.host}:${server.port}: ${(err as Error).message}`);
    return undefined;
  }
}
