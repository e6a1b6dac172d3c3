/**
 * JSONExtract* with the server's simdjson semantics (checked against ClickHouse 26.7; 18.16 has none of them):
 * the whole document must be valid JSON (trailing text, invalid UTF-8, integers beyond 64 bits make it invalid),
 * paths are keys (first match) or 1-based indexes (negative from the end), and a missing or invalid element gives
 * the default ('' or 0). JSONExtractRaw re-serializes the element minified: numbers in their shortest form,
 * strings with only `"`, `\` and control characters escaped.
 */
import { UnsupportedExpressionError } from '../../errors.js';
import { textOf, zeroOf, type Str } from '../column.js';
import { formatFloat64 } from '../format.js';
import { define, modernServer, unsupported, type Arg } from '../registry.js';
import { arrayOf, base, T, typeName, typeOf, type DataType } from '../types.js';
import { get } from './helpers.js';

type J =
  | { t: 'obj'; entries: Array<[string, J]> }
  | { t: 'arr'; items: J[] }
  | { t: 'str'; v: string }
  | { t: 'int'; v: bigint }
  | { t: 'uint'; v: bigint }
  | { t: 'dbl'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'null' };

class Bad extends Error {}

function parseJson(s: string): J | undefined {
  let i = 0;
  const ws = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  };
  const value = (depth: number): J => {
    if (depth > 1024) throw new Bad();
    ws();
    const c = s[i];
    if (c === '{') {
      i++;
      const entries: Array<[string, J]> = [];
      ws();
      if (s[i] === '}') {
        i++;
        return { t: 'obj', entries };
      }
      for (;;) {
        ws();
        if (s[i] !== '"') throw new Bad();
        const k = str();
        ws();
        if (s[i++] !== ':') throw new Bad();
        entries.push([k, value(depth + 1)]);
        ws();
        if (s[i] === ',') {
          i++;
          continue;
        }
        if (s[i] === '}') {
          i++;
          return { t: 'obj', entries };
        }
        throw new Bad();
      }
    }
    if (c === '[') {
      i++;
      const items: J[] = [];
      ws();
      if (s[i] === ']') {
        i++;
        return { t: 'arr', items };
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (s[i] === ',') {
          i++;
          continue;
        }
        if (s[i] === ']') {
          i++;
          return { t: 'arr', items };
        }
        throw new Bad();
      }
    }
    if (c === '"') return { t: 'str', v: str() };
    if (s.startsWith('true', i)) return ((i += 4), { t: 'bool', v: true });
    if (s.startsWith('false', i)) return ((i += 5), { t: 'bool', v: false });
    if (s.startsWith('null', i)) return ((i += 4), { t: 'null' });
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(s.slice(i, i + 400));
    if (!m) throw new Bad();
    i += m[0].length;
    if (m[1] === undefined && m[2] === undefined) {
      const v = BigInt(m[0]);
      if (v >= -(1n << 63n) && v < 1n << 63n) return { t: 'int', v };
      if (v >= 0n && v < 1n << 64n) return { t: 'uint', v };
      throw new Bad();
    }
    const d = Number(m[0]);
    if (!Number.isFinite(d)) throw new Bad();
    return { t: 'dbl', v: d };
  };
  const str = (): string => {
    i++;
    let out = '';
    for (;;) {
      const c = s[i++];
      if (c === undefined) throw new Bad();
      if (c === '"') return out;
      if (c < ' ') throw new Bad();
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = s[i++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const read = () => {
            const h = s.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(h)) throw new Bad();
            i += 4;
            return parseInt(h, 16);
          };
          const u = read();
          if (u >= 0xd800 && u <= 0xdbff) {
            if (s[i] !== '\\' || s[i + 1] !== 'u') throw new Bad();
            i += 2;
            const lo = read();
            if (lo < 0xdc00 || lo > 0xdfff) throw new Bad();
            out += String.fromCharCode(u, lo);
          } else if (u >= 0xdc00 && u <= 0xdfff) throw new Bad();
          else out += String.fromCharCode(u);
          break;
        }
        default:
          throw new Bad();
      }
    }
  };
  try {
    const v = value(0);
    ws();
    if (i !== s.length) return undefined;
    return v;
  } catch (error) {
    if (error instanceof Bad) return undefined;
    throw error;
  }
}

function quoteJson(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c < 0x20) {
      out +=
        ch === '\n'
          ? '\\n'
          : ch === '\t'
            ? '\\t'
            : ch === '\r'
              ? '\\r'
              : ch === '\b'
                ? '\\b'
                : ch === '\f'
                  ? '\\f'
                  : `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

export function serialize(j: J): string {
  switch (j.t) {
    case 'obj':
      return `{${j.entries.map(([k, v]) => `${quoteJson(k)}:${serialize(v)}`).join(',')}}`;
    case 'arr':
      return `[${j.items.map(serialize).join(',')}]`;
    case 'str':
      return quoteJson(j.v);
    case 'int':
    case 'uint':
      return j.v.toString();
    case 'dbl':
      return formatFloat64(j.v);
    case 'bool':
      return j.v ? 'true' : 'false';
    case 'null':
      return 'null';
  }
}

function step(j: J, key: unknown): J | undefined {
  if (typeof key === 'string' || key instanceof Uint8Array) {
    if (j.t !== 'obj') return undefined;
    const k = textOf(key as Str);
    return j.entries.find(([name]) => name === k)?.[1];
  }
  const n = Number(key);
  const list = j.t === 'obj' ? j.entries.map((e) => e[1]) : j.t === 'arr' ? j.items : undefined;
  if (!list || n === 0) return undefined;
  const idx = n > 0 ? n - 1 : list.length + n;
  return idx >= 0 && idx < list.length ? list[idx] : undefined;
}

function docOf(v: unknown): J | undefined {
  if (typeof v !== 'string')
    throw new UnsupportedExpressionError('JSON functions over strings that are not valid UTF-8');
  return parseJson(v);
}

function checkPath(name: string, args: Arg[], from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const k = base(args[i]!.type).kind;
    if (k !== 'string' && k !== 'int') unsupported(`${name}: path argument ${i + 1} must be a String or an integer`);
  }
}

/** Walks a path for each row; `extract` turns the element (or undefined) into the row's value. */
function jsonFunction(
  name: string,
  type: DataType,
  extract: (j: J | undefined, modern: boolean) => unknown,
  trailingTypeArg = false,
): void {
  define(name, {
    resolve(args, scope) {
      const modern = modernServer(scope.serverVersion);
      if (args.length < 1) unsupported(`${name} needs a JSON argument`);
      if (base(args[0]!.type).kind !== 'string') unsupported(`${name}(${typeName(args[0]!.type)})`);
      const original = args[0]!.node?.type;
      if (original?.kind === 'lowCardinality' && original.inner.kind === 'nullable') {
        // The server rejects LowCardinality(Nullable(String)) here (26.7): let it report that.
        unsupported(`${name}(${typeName(original)})`);
      }
      const pathEnd = trailingTypeArg ? args.length - 1 : args.length;
      checkPath(name, args, 1, pathEnd);
      return {
        type,
        exec(cols, rows) {
          const gs = cols.slice(0, pathEnd).map(get);
          const out = new Array(rows);
          for (let i = 0; i < rows; i++) {
            let j = docOf(gs[0]!(i));
            for (let k = 1; j && k < gs.length; k++) j = step(j, gs[k]!(i));
            out[i] = extract(j, modern);
          }
          return out;
        },
      };
    },
  });
}

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

function toInt64(j: J | undefined): bigint {
  if (!j) return 0n;
  switch (j.t) {
    case 'int':
      return j.v;
    case 'uint':
      return 0n;
    case 'dbl': {
      const t = Math.trunc(j.v);
      return t >= -(2 ** 63) && t < 2 ** 63 ? BigInt(t) : 0n;
    }
    case 'str':
      throw new UnsupportedExpressionError(
        'JSONExtractInt of a string value (parsed differently across server versions)',
      );
    default:
      return 0n;
  }
}
function toUInt64(j: J | undefined): bigint {
  if (!j) return 0n;
  switch (j.t) {
    case 'int':
      return j.v < 0n ? 0n : j.v;
    case 'uint':
      return j.v;
    case 'dbl': {
      const t = Math.trunc(j.v);
      return t >= 0 && t < 2 ** 64 ? BigInt(t) : 0n;
    }
    case 'str':
      throw new UnsupportedExpressionError(
        'JSONExtractUInt of a string value (parsed differently across server versions)',
      );
    default:
      return 0n;
  }
}
function toFloat(j: J | undefined): number {
  if (!j) return 0;
  switch (j.t) {
    case 'int':
    case 'uint':
      return Number(j.v);
    case 'dbl':
      return j.v;
    case 'str':
      throw new UnsupportedExpressionError(
        'JSONExtractFloat of a string value (parsed differently across server versions)',
      );
    default:
      return 0;
  }
}
void I64_MIN;
void I64_MAX;

jsonFunction('JSONExtractRaw', T.String, (j) => (j ? serialize(j) : ''));
jsonFunction('JSONExtractString', T.String, (j, modern) => {
  if (!j) return '';
  if (j.t === 'str') return j.v;
  // Non-string values: '' on older servers, their raw text (JSONExtractRaw's) on 26.7, null ''. Computed only for a
  // server known to be 26.7 or newer.
  if (modern) return j.t === 'null' ? '' : serialize(j);
  throw new UnsupportedExpressionError('JSONExtractString of a non-string value differs across server versions');
});
jsonFunction('JSONExtractInt', T.Int64, toInt64);
jsonFunction('JSONExtractUInt', T.UInt64, toUInt64);
jsonFunction('JSONExtractFloat', T.Float64, toFloat);
jsonFunction('JSONExtractBool', T.UInt8, (j) => {
  if (!j) return 0;
  if (j.t === 'bool') return j.v ? 1 : 0;
  if (j.t === 'int' || j.t === 'uint') return j.v !== 0n ? 1 : 0;
  if (j.t === 'dbl') return j.v !== 0 ? 1 : 0;
  return 0;
});
jsonFunction('JSONHas', T.UInt8, (j) => (j ? 1 : 0));
jsonFunction('JSONExtractArrayRaw', arrayOf(T.String), (j) => (j && j.t === 'arr' ? j.items.map(serialize) : []));
jsonFunction('JSONLength', T.UInt64, (j) =>
  BigInt(j?.t === 'arr' ? j.items.length : j?.t === 'obj' ? j.entries.length : 0),
);

/** Marks an element JSONExtract(…, 'Type') cannot insert as that type: the type's default, NULL in a Nullable. */
const NO = Symbol('no-value');

/**
 * JSONExtract(json, path..., 'Type') for scalar types and arrays of them; JSONExtractKeysAndValues likewise
 * (checked against 26.7). Numbers convert (floats truncate toward zero, integers out of the type's range do not
 * convert), bools are 0/1, null/objects/arrays do not convert to numbers; an array converts only if every element
 * does. A string element into a number, or a non-string into a String, is refused (it differs across versions).
 */
function extractAs(t: DataType, modern = false): (j: J | undefined) => unknown {
  const b = t.kind === 'nullable' ? t.inner : t;
  if (b.kind === 'lowCardinality' || b.kind === 'nullable')
    return unsupported(`JSONExtract as ${typeName(t)} is not supported`);
  const inner = convertAs(b, modern);
  if (t.kind === 'nullable') {
    // JSON null is NULL; a missing element or one that does not convert is no value (NULL at the top level, left
    // out by JSONExtractKeysAndValues, failing the whole array inside an Array).
    return (j) => (!j ? NO : j.t === 'null' ? null : inner(j));
  }
  return inner;
}

function convertAs(b: DataType, modern = false): (j: J | undefined) => unknown {
  switch (b.kind) {
    case 'string':
      return (j) => {
        if (!j) return NO;
        if (j.t === 'str') return j.v;
        // 26.7: a non-string value as its raw text, null as no value ('' or NULL).
        if (modern) return j.t === 'null' ? NO : serialize(j);
        throw new UnsupportedExpressionError('JSONExtract(..., String) of a non-string value');
      };
    case 'int': {
      if (b.bits > 64) return unsupported(`JSONExtract as ${typeName(b)}`);
      const lo = b.signed ? -(1n << BigInt(b.bits - 1)) : 0n;
      const hi = b.signed ? (1n << BigInt(b.bits - 1)) - 1n : (1n << BigInt(b.bits)) - 1n;
      const out = (v: bigint) => (v < lo || v > hi ? NO : b.bits >= 64 ? v : Number(v));
      return (j) => {
        if (!j) return NO;
        switch (j.t) {
          case 'int':
          case 'uint':
            return out(j.v);
          case 'bool':
            return out(j.v ? 1n : 0n);
          case 'dbl': {
            // In range before truncation (-128.9 is not an Int8), then exactly.
            if (!Number.isFinite(j.v) || j.v < Number(lo) || j.v > Number(hi)) return NO;
            return out(BigInt(Math.trunc(j.v)));
          }
          case 'str':
            throw new UnsupportedExpressionError(
              `JSONExtract(..., ${typeName(b)}) of a string value (parsed differently across server versions)`,
            );
          default:
            return NO;
        }
      };
    }
    case 'float': {
      const r = b.bits === 32 ? Math.fround : (x: number) => x;
      return (j) => {
        if (!j) return NO;
        switch (j.t) {
          case 'int':
          case 'uint':
            return r(Number(j.v));
          case 'dbl':
            return r(j.v);
          case 'bool':
            return j.v ? 1 : 0;
          case 'str':
            throw new UnsupportedExpressionError(
              `JSONExtract(..., ${typeName(b)}) of a string value (parsed differently across server versions)`,
            );
          default:
            return NO;
        }
      };
    }
    case 'array': {
      const el = extractAs(b.element);
      return (j) => {
        if (!j || j.t !== 'arr') return NO;
        const out = new Array(j.items.length);
        for (let i = 0; i < out.length; i++) {
          const v = el(j.items[i]);
          if (v === NO) return NO;
          out[i] = v;
        }
        return out;
      };
    }
    default:
      return unsupported(`JSONExtract as ${typeName(b)} is not supported`);
  }
}

function orDefault(t: DataType, f: (j: J | undefined) => unknown): (j: J | undefined) => unknown {
  const zero = t.kind === 'nullable' ? null : zeroOf(base(t));
  return (j) => {
    const v = f(j);
    return v === NO ? zero : v;
  };
}

define('JSONExtract', {
  resolve(args, scope, name) {
    if (args.length < 2) unsupported('JSONExtract needs a JSON and a type');
    const typeText = args[args.length - 1]!.constant?.value;
    if (typeof typeText !== 'string') unsupported('JSONExtract: the type must be a constant string');
    const t = typeOf(typeText);
    const f = orDefault(t, extractAs(t, modernServer(scope.serverVersion)));
    jsonFunction('__JSONExtract', t, f, true);
    return lookupJson('__JSONExtract').resolve(args, scope, name);
  },
});

define('JSONExtractKeysAndValues', {
  resolve(args, scope, name) {
    if (args.length < 2) unsupported('JSONExtractKeysAndValues needs a JSON and a type');
    const typeText = args[args.length - 1]!.constant?.value;
    if (typeof typeText !== 'string') unsupported('JSONExtractKeysAndValues: the type must be a constant string');
    const t = typeOf(typeText);
    const f = extractAs(t);
    const type = arrayOf({ kind: 'tuple', elements: [T.String, t], names: undefined });
    // Entries whose value does not convert are left out.
    jsonFunction(
      '__JSONExtractKV',
      type,
      (j) =>
        j?.t === 'obj'
          ? j.entries.flatMap(([k, v]) => {
              const x = f(v);
              return x === NO ? [] : [[k, x]];
            })
          : [],
      true,
    );
    return lookupJson('__JSONExtractKV').resolve(args, scope, name);
  },
});

import { lookup } from '../registry.js';
const lookupJson = (n: string) => lookup(n)!;
