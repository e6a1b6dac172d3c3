/** Multi-host config and placement arithmetic (no server; the real cluster is in test/cluster/). */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/client/config.js';
import { resolveConfig } from '../../src/client/config.js';
import { parseHostAddress } from '../../src/connection/multi-host.js';
import { shardIndexes, slotsOf } from '../../src/insert/sharded.js';
import { createClient } from '../../src/index.js';

describe('hosts', () => {
  it('parses host, host:port and [v6]:port, with the default port', () => {
    expect(parseHostAddress('a', 9000)).toEqual({ host: 'a', port: 9000 });
    expect(parseHostAddress('a:9001', 9000)).toEqual({ host: 'a', port: 9001 });
    expect(parseHostAddress('[::1]:9440', 9000)).toEqual({ host: '::1', port: 9440 });
    expect(parseHostAddress('[::1]', 9000)).toEqual({ host: '::1', port: 9000 });
    expect(parseHostAddress('a:0', 9000)).toBeUndefined();
    expect(parseHostAddress('', 9000)).toBeUndefined();
  });

  it('resolves hosts and load_balancing, and refuses bad ones', () => {
    const resolved = resolveConfig({ hosts: ['h1:1', 'h2'], port: 2, load_balancing: 'in_order' });
    expect(resolved.hosts).toEqual([
      { host: 'h1', port: 1 },
      { host: 'h2', port: 2 },
    ]);
    expect(resolved.loadBalancing).toBe('in_order');
    expect(resolveConfig({}).hosts).toBeUndefined();
    expect(() => resolveConfig({ hosts: [] })).toThrow(ConfigError);
    expect(() => resolveConfig({ hosts: ['a:x'] })).toThrow(ConfigError);
    expect(() => resolveConfig({ hosts: ['a'], load_balancing: 'nearest' as never })).toThrow(ConfigError);
  });

  it('a single-host client has no host status', async () => {
    const client = createClient({ host: '127.0.0.1', port: 1 });
    expect(client.hostStatus()).toBeUndefined();
    await client.close();
  });
});

describe('shard placement', () => {
  it('maps slots to shards by cumulative weight, shards of weight 0 getting none', () => {
    expect([...slotsOf([1, 2])]).toEqual([0, 1, 1]);
    expect([...slotsOf([2, 0, 1])]).toEqual([0, 0, 2]);
    expect(() => slotsOf([0, 0])).toThrow();
  });

  it('takes keys as unsigned integers of their own width', () => {
    const slots = slotsOf([1, 1, 1, 1, 1, 1, 1]); // 7 shards: 255, 2^32 - 1 and 2^64 - 1 differ mod 7
    expect([...shardIndexes('Int8', [-1], 1, slots)]).toEqual([255 % 7]);
    expect([...shardIndexes('Int16', [-1], 1, slots)]).toEqual([65535 % 7]);
    expect([...shardIndexes('Int32', [-1], 1, slots)]).toEqual([4294967295 % 7]);
    expect([...shardIndexes('Int64', new BigInt64Array([-1n]), 1, slots)]).toEqual([Number((2n ** 64n - 1n) % 7n)]);
    expect([...shardIndexes('UInt64', [2n ** 64n - 1n], 1, slots)]).toEqual([Number((2n ** 64n - 1n) % 7n)]);
    expect([...shardIndexes('UInt32', [4294967295], 1, slots)]).toEqual([4294967295 % 7]);
    expect(() => shardIndexes('String', ['x'], 1, slots)).toThrow(/integer/);
  });
});
