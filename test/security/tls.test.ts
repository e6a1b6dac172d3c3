/**
 * TLS to the secure native port of a real 18.16 server (tcp_port_secure with an <openSSL><server> section), with a
 * CA, server and client certificates made by `openssl` at test time. Two servers: one that verifies no client
 * certificate, and one in `strict` mode that requires a client certificate signed by the CA (mutual TLS).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/client/config.js';
import { ConfigError, ConnectionError, createClient, type ClickHouseClientConfig } from '../../src/index.js';
import { getFreePort, startLocalServer, type LocalServer } from '../harness/server.js';

const run = promisify(execFile);

interface Pki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here: trusting it alone does not make the server trusted. */
  otherCaCert: string;
  /** A client certificate signed by the other CA: the strict server must refuse it. */
  strangerCert: string;
  strangerKey: string;
}

/** A CA, a server certificate for clickhouse.test and 127.0.0.1, and client certificates. */
async function makePki(dir: string): Promise<Pki> {
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const ca = async (name: string) => {
    await openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      '2',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
  };
  const leaf = async (name: string, signer: string, extensions: string) => {
    fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
    await openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    );
    await openssl(
      'x509',
      '-req',
      '-sha256',
      '-days',
      '2',
      '-in',
      `${name}.csr`,
      '-CA',
      `${signer}.crt`,
      '-CAkey',
      `${signer}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-extfile',
      `${name}.ext`,
    );
  };
  await Promise.all([ca('test-ca'), ca('other-ca')]);
  await Promise.all([
    leaf('server', 'test-ca', 'subjectAltName=DNS:clickhouse.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'),
    leaf('client', 'test-ca', 'extendedKeyUsage=clientAuth\n'),
    leaf('stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n'),
  ]);
  const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
  return {
    caCert: read('test-ca.crt'),
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
    otherCaCert: read('other-ca.crt'),
    strangerCert: read('stranger.crt'),
    strangerKey: read('stranger.key'),
  };
}

/** An 18.16 server with the secure native port; `strict` requires and verifies a client certificate. */
async function startTlsServer(pki: Pki, mode: 'none' | 'strict'): Promise<{ server: LocalServer; securePort: number }> {
  const securePort = await getFreePort();
  const server = await startLocalServer({
    files: { 'server.crt': pki.serverCert, 'server.key': pki.serverKey, 'ca.crt': pki.caCert },
    configXml: `
      <tcp_port_secure>${securePort}</tcp_port_secure>
      <openSSL>
        <server>
          <certificateFile>{{dir}}/server.crt</certificateFile>
          <privateKeyFile>{{dir}}/server.key</privateKeyFile>
          <caConfig>{{dir}}/ca.crt</caConfig>
          <verificationMode>${mode}</verificationMode>
          <loadDefaultCAFile>false</loadDefaultCAFile>
          <cacheSessions>true</cacheSessions>
          <disableProtocols>sslv2,sslv3</disableProtocols>
          <preferServerCiphers>true</preferServerCiphers>
        </server>
      </openSSL>`,
  });
  return { server, securePort };
}

describe('TLS', () => {
  let tmp: string;
  let pki: Pki;
  let plain: { server: LocalServer; securePort: number };
  let mutual: { server: LocalServer; securePort: number };

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chn-tls-'));
    pki = await makePki(tmp);
    [plain, mutual] = await Promise.all([startTlsServer(pki, 'none'), startTlsServer(pki, 'strict')]);
  });
  afterAll(async () => {
    await Promise.all([plain?.server.stop(), mutual?.server.stop()]);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function select(config: ClickHouseClientConfig): Promise<unknown> {
    const client = createClient({ connect_timeout_ms: 5000, ...config });
    try {
      return await (await client.query({ query: 'SELECT 42 AS answer' })).json();
    } finally {
      await client.close();
    }
  }

  async function refusal(config: ClickHouseClientConfig): Promise<ConnectionError> {
    const error = await select(config).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectionError);
    return error as ConnectionError;
  }

  it('the configuration: clickhouses:// means TLS on port 9440, verification on by default', () => {
    const fromUrl = resolveConfig({ url: 'clickhouses://bob:pw@db.example/analytics' });
    expect(fromUrl.port).toBe(9440);
    expect(fromUrl.tls).toMatchObject({ rejectUnauthorized: true });
    expect(resolveConfig({ tls: { ca: 'x' } }).port).toBe(9440);
    expect(resolveConfig({ tls: true }).tls?.rejectUnauthorized).toBe(true);
    expect(resolveConfig({ url: 'clickhouse://db.example' }).tls).toBeUndefined();
    expect(resolveConfig({ url: 'clickhouse://db.example' }).port).toBe(9000);
    expect(() => resolveConfig({ url: 'clickhouses://db.example', tls: false })).toThrow(ConfigError);
    expect(() => resolveConfig({ tls: { cert: 'only a cert' } })).toThrow(/tls\.cert and tls\.key go together/);
  });

  it('a trusted CA connects', async () => {
    expect(await select({ host: '127.0.0.1', port: plain.securePort, tls: { ca: pki.caCert } })).toEqual([
      { answer: 42 },
    ]);
  });

  it('a clickhouses:// URL with the CA connects, by the certificate name through tls.servername', async () => {
    const url = `clickhouses://default@127.0.0.1:${plain.securePort}/default`;
    expect(await select({ url, tls: { ca: pki.caCert, servername: 'clickhouse.test' } })).toEqual([{ answer: 42 }]);
  });

  it('an untrusted certificate is refused with a clear error', async () => {
    // Node's root CAs only (the default), and a CA that did not sign the server's certificate.
    for (const tls of [true, { ca: pki.otherCaCert }]) {
      const error = await refusal({ host: '127.0.0.1', port: plain.securePort, tls });
      expect(error.message).toMatch(
        /TLS connection to 127\.0\.0\.1:\d+ refused: the server certificate is not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN): /,
      );
      expect(error.message).toMatch(/tls\.ca/);
    }
  });

  it('a wrong host name is refused', async () => {
    const error = await refusal({
      host: '127.0.0.1',
      port: plain.securePort,
      tls: { ca: pki.caCert, servername: 'wrong.example' },
    });
    expect(error.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(error.message).toMatch(/the server certificate is not valid for the host name "wrong\.example"/);
  });

  it('rejectUnauthorized: false skips verification (explicitly only)', async () => {
    const url = `clickhouses://default@127.0.0.1:${plain.securePort}/default`;
    expect(await select({ url, tls: { rejectUnauthorized: false } })).toEqual([{ answer: 42 }]);
  });

  it('plain TCP to the secure port fails cleanly, not with a hang', async () => {
    const client = createClient({ host: '127.0.0.1', port: plain.securePort, connect_timeout_ms: 3000 });
    const result = await client.ping();
    expect(result.success).toBe(false);
    // A hang would end in connect_timeout_ms (ETIMEDOUT); the refusal comes from the server instead.
    expect((result as { error: Error }).error.message).not.toMatch(/timed out/);
    expect((result as { error: { code?: string } }).error.code).not.toBe('ETIMEDOUT');
    await client.close();
  });

  it('mutual TLS: a client certificate signed by the CA works', async () => {
    const tls = { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey };
    expect(await select({ host: '127.0.0.1', port: mutual.securePort, tls })).toEqual([{ answer: 42 }]);
  });

  it('mutual TLS: no client certificate, or one from another CA, is refused', async () => {
    const without = await refusal({ host: '127.0.0.1', port: mutual.securePort, tls: { ca: pki.caCert } });
    expect(without.message).toMatch(
      /refused by the server: it requires a client certificate \(tls\.cert and tls\.key\)/,
    );
    const stranger = await refusal({
      host: '127.0.0.1',
      port: mutual.securePort,
      tls: { ca: pki.caCert, cert: pki.strangerCert, key: pki.strangerKey },
    });
    expect(stranger.message).toMatch(
      /refused by the server: it did not accept our client certificate \(ERR_SSL_TLSV1_ALERT_UNKNOWN_CA/,
    );
  });
});
