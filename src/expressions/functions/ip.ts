/**
 * IPv4StringToNum, IPv4NumToString, toIPv4, toIPv6 (checked against 18.16 where it has them, and 26.7).
 *
 * Only addresses in their plain text forms are read: dotted quads without leading zeros, and IPv6 as 8 groups of
 * 1-4 hex digits, or fewer around one `::`, optionally ending in a dotted quad. Anything else is left to the server:
 * servers differ on malformed text (18.16's IPv4StringToNum gives 0, 26.7 throws; 26.7's toIPv4 reads leading
 * zeros, its IPv4StringToNum does not; its IPv6 parser takes `1:::2`).
 */
import { UnsupportedExpressionError } from '../../errors.js';
import { textOf, type Str } from '../column.js';
import { define, expectArgs, unsupported } from '../registry.js';
import { base, isNullable, nullable, T, typeName, type DataType } from '../types.js';
import { get } from './helpers.js';

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** A dotted quad as a number, or undefined for any other text. */
export function readIPv4(s: string): number | undefined {
  if (!IPV4.test(s)) return undefined;
  const p = s.split('.').map(Number);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** IPv6 text (or a dotted quad, as ::ffff:a.b.c.d) as 16 bytes, or undefined for any other text. */
export function readIPv6(s: string): Uint8Array | undefined {
  const v4 = readIPv4(s);
  if (v4 !== undefined) return ipv4Mapped(v4);
  let tail: number[] = [];
  let text = s;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.indexOf('.', lastColon) > lastColon) {
    const quad = readIPv4(s.slice(lastColon + 1));
    if (quad === undefined) return undefined;
    tail = [quad >>> 16, quad & 0xffff];
    // Keep the separator: '::1.2.3.4' → '::' + groups, '1:2:3:4:5:6:1.2.3.4' → groups.
    text = s.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!HEX_GROUP.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let words: number[];
  const dc = text.indexOf('::');
  if (dc >= 0) {
    if (text.indexOf('::', dc + 1) >= 0) return undefined;
    const head = groups(text.slice(0, dc));
    const rest = groups(text.slice(dc + 2));
    if (!head || !rest) return undefined;
    const explicit = head.length + rest.length + tail.length;
    // `::` stands for at least one zero group.
    if (explicit > 7) return undefined;
    words = [...head, ...new Array<number>(8 - explicit).fill(0), ...rest, ...tail];
  } else {
    const all = groups(text);
    if (!all) return undefined;
    words = [...all, ...tail];
    if (words.length !== 8) return undefined;
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >>> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

function ipv4Mapped(v: number): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out[12] = v >>> 24;
  out[13] = (v >>> 16) & 0xff;
  out[14] = (v >>> 8) & 0xff;
  out[15] = v & 0xff;
  return out;
}

const IPV4_TYPE: DataType = { kind: 'ipv4' };
const IPV6_TYPE: DataType = { kind: 'ipv6' };

function refuse(name: string, v: unknown): never {
  const s = typeof v === 'string' ? v : textOf(v as Str);
  throw new UnsupportedExpressionError(
    `${name}: ${JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}...` : s)} is not an address the client reads exactly as the server would`,
  );
}

/**
 * An IP function of one argument. NULLs are handled here (not by the compiler's default, which would run the body
 * on '' in NULL rows, and '' is refused); the server keeps LowCardinality: f(LowCardinality(T)) is
 * LowCardinality(f's type).
 */
function ipFunction(
  name: string,
  bodies: (from: DataType) => { type: DataType; row: (v: unknown) => unknown } | undefined,
  lowCardinality = true,
): void {
  define(name, {
    defaultNulls: false,
    resolve(args) {
      expectArgs(name, args, 1);
      const argType = args[0]!.type;
      if (!lowCardinality && argType.kind === 'lowCardinality') unsupported(`${name}(${typeName(argType)})`);
      const body = bodies(base(argType));
      if (!body) unsupported(`${name}(${typeName(argType)})`);
      let type = body.type;
      if (argType.kind === 'lowCardinality') type = { kind: 'lowCardinality', inner: type };
      if (isNullable(argType)) type = nullable(type);
      return {
        type,
        exec([x], rows) {
          const g = get(x!);
          const n = x!.constant ? 1 : rows;
          const out = new Array(n);
          for (let i = 0; i < n; i++) {
            const v = g(i);
            out[i] = v === null ? null : body.row(v);
          }
          return { type, values: out, constant: x!.constant };
        },
      };
    },
  });
}

const isUInt32 = (t: DataType) => t.kind === 'int' && t.name === 'UInt32';

function parseWith<R>(name: string, read: (s: string) => R | undefined): (v: unknown) => R {
  return (v) => {
    if (typeof v !== 'string') return refuse(name, v);
    const r = read(v);
    return r === undefined ? refuse(name, v) : r;
  };
}

// Over LowCardinality, 26.7 also runs it on the dictionary's default '' and fails: left to the server.
ipFunction(
  'IPv4StringToNum',
  (from) => (from.kind === 'string' ? { type: T.UInt32, row: parseWith('IPv4StringToNum', readIPv4) } : undefined),
  false,
);

ipFunction('toIPv4', (from) => {
  if (from.kind === 'ipv4' || isUInt32(from)) return { type: IPV4_TYPE, row: (v) => v };
  return from.kind === 'string' ? { type: IPV4_TYPE, row: parseWith('toIPv4', readIPv4) } : undefined;
});

ipFunction('toIPv6', (from) => {
  if (from.kind === 'ipv4') return { type: IPV6_TYPE, row: (v) => ipv4Mapped(v as number) };
  return from.kind === 'string' ? { type: IPV6_TYPE, row: parseWith('toIPv6', readIPv6) } : undefined;
});

// 18.16 takes UInt32 only; 26.7 also IPv4, UInt8, UInt16.
ipFunction('IPv4NumToString', (from) =>
  from.kind === 'ipv4' || isUInt32(from)
    ? {
        type: T.String,
        row: (v) => {
          const n = v as number;
          return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
        },
      }
    : undefined,
);
