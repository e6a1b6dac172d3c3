/**
 * Auth and identity, live (README, "Roles, quota keys and JWT"): roles per call and per client through SET ROLE,
 * the quota key in ClientInfo, and a JWT login as clickhouse-go sends it.
 *
 * Version gates: roles need access control (ClickHouse 20.4); 18.16 has none, and the client refuses a role before
 * sending anything. The harness's 26.7 server declares two roles and a user granted both in its users.xml
 * (ROLES_TEST_USER): clickhouse-local has no writable access storage, so CREATE ROLE is refused there. JWT login is a
 * ClickHouse Cloud feature: both servers here refuse it, and the test checks that the refusal is a clear error.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ClickHouseError, ConfigError, createClient, UnsupportedError } from '../../src/index.js';
import { testServer } from '../harness/context.js';
import { ROLES_TEST_USER } from '../harness/config-xml.js';
import { admin, clientFor, closeLater, closeOpened } from './helpers.js';

const server = testServer();
const [major, minor] = (server.version ?? '0.0').split('.').map(Number) as [number, number];
const hasAccessControl = major > 20 || (major === 20 && minor >= 4);

afterAll(() => closeOpened());

/** A client logged in as the user granted both test roles (on 18.16, the run's user: roles are refused anyway). */
function rolesClient(config: Parameters<typeof createClient>[0] = {}) {
  return closeLater(
    createClient({
      host: server.host,
      port: server.port,
      max_open_connections: 1, // every call on the same connection: the roles must follow each call, not linger
      ...(hasAccessControl
        ? { username: ROLES_TEST_USER.name, password: ROLES_TEST_USER.password }
        : { username: server.username, password: server.password }),
      ...config,
    }),
  );
}

async function currentRoles(client: ReturnType<typeof createClient>, role?: string | string[]): Promise<string[]> {
  const [row] = await (
    await client.query<{ roles: string[] }>({ query: 'SELECT currentRoles() AS roles', role })
  ).json();
  return [...row!.roles].sort();
}

describe('role', () => {
  const [reader, writer] = ROLES_TEST_USER.roles;

  it('the README example: roles per call, and the user defaults again after it', async () => {
    const client = rolesClient();
    if (!hasAccessControl) {
      // 18.16 has no access control: refused before anything is sent, and the connection stays usable.
      await expect(client.query({ query: 'SELECT 1', role: reader })).rejects.toThrow(UnsupportedError);
      await expect(client.query({ query: 'SELECT 1', role: reader })).rejects.toThrow(/role needs ClickHouse 20\.4/);
      expect(await (await client.query({ query: 'SELECT 1 AS one' })).json()).toEqual([{ one: 1 }]);
      return;
    }
    // README, "Roles, quota keys and JWT"
    const result = await client.query({ query: 'SELECT currentRoles() AS roles', role: reader });
    expect(await result.json()).toEqual([{ roles: [reader] }]);

    expect(await currentRoles(client, [reader, writer])).toEqual([reader, writer].sort());
    expect(await currentRoles(client, [])).toEqual([]);
    // No role on the call: the user's default roles (both), on the very connection that had others set.
    expect(await currentRoles(client)).toEqual([reader, writer].sort());
    expect(client.poolStats().open).toBe(1);
  });

  it('a client-wide role applies to every call, and a call may override it', async () => {
    const client = rolesClient({ role: writer });
    if (!hasAccessControl) {
      await expect(client.query({ query: 'SELECT 1' })).rejects.toThrow(UnsupportedError);
      return;
    }
    expect(await currentRoles(client)).toEqual([writer]);
    expect(await currentRoles(client, reader)).toEqual([reader]);
    expect(await currentRoles(client)).toEqual([writer]);
  });

  it('a role the user does not have is the server error, and the client goes on', async () => {
    const client = rolesClient();
    if (!hasAccessControl) return expect(major).toBeLessThan(20);
    const error = await client.query({ query: 'SELECT 1', role: 'no_such_role_here' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClickHouseError);
    expect((error as ClickHouseError).code).toBe(511); // UNKNOWN_ROLE
    expect(await currentRoles(client)).toEqual([reader, writer].sort());
  });

  it('a session with a role runs every call with it', async () => {
    const client = rolesClient();
    if (!hasAccessControl) {
      await using refused = client.session({ role: reader });
      await expect(refused.query({ query: 'SELECT 1' })).rejects.toThrow(UnsupportedError);
      return;
    }
    // README, "Roles, quota keys and JWT"
    const session = client.session({ role: reader });
    try {
      const roles = async (role?: string) =>
        (await (await session.query<{ roles: string[] }>({ query: 'SELECT currentRoles() AS roles', role })).json())[0]!
          .roles;
      expect(await roles()).toEqual([reader]);
      expect(await roles(writer)).toEqual([writer]); // a call may name its own
      expect(await roles()).toEqual([reader]);
    } finally {
      await session.close(); // frees the client's one connection slot
    }
    expect(await currentRoles(client)).toEqual([reader, writer].sort()); // the pool's calls: the user's defaults
  });

  it('in a session, SET ROLE holds across its calls', async () => {
    const client = rolesClient();
    if (!hasAccessControl) return expect(major).toBeLessThan(20);
    await using session = client.session();
    await session.command({ query: `SET ROLE ${reader}` });
    const [row] = await (await session.query<{ roles: string[] }>({ query: 'SELECT currentRoles() AS roles' })).json();
    expect(row!.roles).toEqual([reader]);
  });
});

describe('quota_key', () => {
  it('the README example: the server sees the quota key of the call (query_log.quota_key)', async () => {
    // README, "Roles, quota keys and JWT"
    const client = closeLater(clientFor({ quota_key: 'tenant-7' }));
    const queryId = randomUUID();
    await client.command({ query: 'SELECT 1', query_id: queryId });
    const otherId = randomUUID();
    await client.command({ query: 'SELECT 2', query_id: otherId, quota_key: 'tenant-42' });
    await admin('SYSTEM FLUSH LOGS');
    const keys = await admin(
      `SELECT query_id, quota_key FROM system.query_log WHERE query_id IN ('${queryId}', '${otherId}') AND type = 2 ` +
        `ORDER BY event_time, query_id FORMAT TSV`,
    );
    expect(
      new Map(
        keys
          .trim()
          .split('\n')
          .map((line) => line.split('\t') as [string, string]),
      ),
    ).toEqual(
      new Map([
        [queryId, 'tenant-7'],
        [otherId, 'tenant-42'],
      ]),
    );
  });
});

describe('jwt', () => {
  it('is sent as clickhouse-go sends it; this server refuses it with a clear error that keeps the code', async () => {
    const token = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: 'default' })).toString('base64url')}.sig`;
    // README, "Roles, quota keys and JWT"
    const client = closeLater(createClient({ host: server.host, port: server.port, jwt: token }));
    const error = await client.query({ query: 'SELECT 1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClickHouseError);
    // Open-source servers take the marker user " JWT AUTHENTICATION " as a user name: 26.7 says 516
    // AUTHENTICATION_FAILED, 18.16 192 UNKNOWN_USER.
    expect((error as ClickHouseError).code).toBe(major >= 20 ? 516 : 192);
    expect((error as Error).message).toMatch(/refused the JWT login/);
    expect((error as Error).message).not.toContain(token);
  });

  it('replaces the user name and password: giving both is a config error', () => {
    expect(() => createClient({ jwt: 'x', password: 'p' })).toThrow(ConfigError);
    expect(() => createClient({ jwt: 'x', username: 'u' })).toThrow(/jwt replaces username and password/);
  });
});
