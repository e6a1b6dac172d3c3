/** Small helpers the harness modules share: environment flags, logging, binaries on PATH, file tails. */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { ServerSetupOptions } from './types.js';

/** An environment flag: undefined when unset, false for 0/false/no/off, true otherwise. */
export function envFlag(name: string): boolean | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  return !/^(0|false|no|off)$/i.test(v);
}

/** A positive integer from the environment, or undefined. */
export function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

export function makeLogger(options: Pick<ServerSetupOptions, 'log'>): (message: string) => void {
  if (options.log) return options.log;
  if (envFlag('CLICKHOUSE_HARNESS_DEBUG')) return (m) => console.error(`[clickhouse-harness] ${m}`);
  return () => {};
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function toArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export function isLoopbackAddress(host: string): boolean {
  return net.isIPv4(host) ? host.startsWith('127.') : host === '::1';
}

export function abbreviate(s: string, max = 500): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

export function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Looks for `name` on PATH and in the usual sbin/bin dirs (PATH of non-root users lacks /usr/sbin). */
export function findBinary(name: string, override?: string): string | undefined {
  if (override) return isExecutable(override) ? override : undefined;
  const dirs = [
    ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean),
    '/usr/sbin',
    '/usr/bin',
    '/usr/local/sbin',
    '/usr/local/bin',
    '/sbin',
    '/bin',
  ];
  for (const d of dirs) {
    const p = path.join(d, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

/** The last `bytes` of a file ('' when it cannot be read). */
export async function tail(file: string, bytes = 6000): Promise<string> {
  try {
    const fh = await fsp.open(file, 'r');
    try {
      const { size } = await fh.stat();
      const start = Math.max(0, size - bytes);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      return (start > 0 ? '…' : '') + buf.toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}
