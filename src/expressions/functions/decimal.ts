/**
 * toDecimal32/64/128(x, S) and their OrZero / OrNull forms (the Or forms exist only in newer servers and take
 * String only). Checked against 18.16 and 26.7.
 *
 * Numbers: integers are scaled exactly; floats are multiplied by 10^S in their own precision (Float32 in float,
 * Float64 in double) and truncated toward zero, as both servers do. Text: plain decimals only ([+-]digits[.digits],
 * no exponent, no leading zeros). Where the servers disagree the client refuses, and the server computes:
 * text with more fractional digits than S (18.16 throws, 26.7 truncates), any other text form (18.16 reads
 * 'abc' or ' 1' as 0, 26.7 throws), NaN and infinities, and results beyond the type's precision (overflow
 * checks differ), Float → Decimal128 (26.7 scales in wider arithmetic), and NULL text in the plain form (18.16
 * parses the '' under it and throws). The OrZero/OrNull forms give 0 / NULL only for text with no character a
 * number could start with ('', 'abc'); 26.7 reads '+', '.', '1.2.3' in its own ways, so other bad text is refused.
 *
 * Decimal results print with trailing zeros on 18.16 and without on 26.7, so Decimal → String is refused in cast.ts.
 */
import { UnsupportedExpressionError } from '../../errors.js';
import { constantArg, define, expectArgs, unsupported } from '../registry.js';
import { base, isNullable, nullable, typeName, type DataType } from '../types.js';

const PLAIN = /^([+-]?)(0|[1-9]\d*|)(?:\.(\d*))?$/;
/** Text with none of the characters a number could start from: 26.7 reads no number (0 / NULL). */
const NOT_A_NUMBER = /^[^0-9+\-.eEiInN]*$/;

function refuse(name: string, what: string): never {
  throw new UnsupportedExpressionError(
    `${name}: ${what} is not converted by the client exactly as every server version would`,
  );
}

for (const [bits, precision, maxScale] of [
  [32, 9, 9],
  [64, 18, 18],
  [128, 38, 38],
] as const) {
  for (const suffix of ['', 'OrZero', 'OrNull'] as const) {
    const name = `toDecimal${bits}${suffix}`;
    define(name, {
      // NULLs handled here: the default would run the body on '' in NULL rows, and '' is refused.
      defaultNulls: false,
      resolve(args) {
        expectArgs(name, args, 2);
        const argType = args[0]!.type;
        if (argType.kind === 'lowCardinality' || argType.kind === 'nothing' || isNullable(args[1]!.type))
          unsupported(`${name}(${typeName(argType)})`);
        const scaleValue = constantArg(name, args, 1);
        const scale = Number(scaleValue);
        const scaleType = base(args[1]!.type);
        if (scaleType.kind !== 'int' || !Number.isInteger(scale) || scale < 0 || scale > maxScale) {
          unsupported(`${name}: the scale must be a constant integer 0..${maxScale}`);
        }
        const from = base(args[0]!.type);
        if (suffix !== '' && from.kind !== 'string') unsupported(`${name}(${typeName(args[0]!.type)})`);
        if (from.kind !== 'string' && from.kind !== 'float' && !(from.kind === 'int' && from.bits <= 64)) {
          unsupported(`${name}(${typeName(args[0]!.type)})`);
        }
        const decimal: DataType = { kind: 'decimal', precision, scale };
        const type = suffix === 'OrNull' || argType.kind === 'nullable' ? nullable(decimal) : decimal;
        const multiplier = 10n ** BigInt(scale);
        const limit = 10n ** BigInt(precision) - 1n;
        const checked = (v: bigint, what: () => string): bigint => (v > limit || v < -limit ? refuse(name, what()) : v);
        let row: (v: unknown) => unknown;
        if (from.kind === 'int') {
          row = (v) => checked(BigInt(v as number | bigint) * multiplier, () => String(v));
        } else if (from.kind === 'float') {
          // Float → Decimal128: 26.7 scales in wider arithmetic than double (and gets negative Float32 wrong).
          if (bits === 128) unsupported(`${name}(${typeName(args[0]!.type)}) is left to the server`);
          const m = Number(multiplier);
          const mul = from.bits === 32 ? (x: number) => Math.fround(x * Math.fround(m)) : (x: number) => x * m;
          row = (v) => {
            const x = v as number;
            const scaled = mul(x);
            if (!Number.isFinite(scaled)) refuse(name, String(x));
            return checked(BigInt(Math.trunc(scaled)), () => String(x));
          };
        } else {
          const failed = suffix === 'OrNull' ? null : 0n;
          row = (v) => {
            if (typeof v !== 'string') refuse(name, 'text that is not UTF-8');
            const m = PLAIN.exec(v);
            if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) {
              if (suffix !== '' && NOT_A_NUMBER.test(v)) return failed;
              return refuse(name, JSON.stringify(v));
            }
            const frac = m[3] ?? '';
            if (frac.length > scale)
              return refuse(name, `${JSON.stringify(v)} (more fractional digits than the scale)`);
            if (m[2]!.replace(/^0$/, '').length + scale > precision)
              return refuse(name, `${JSON.stringify(v)} (too many digits)`);
            const digits = BigInt(`${m[2] || '0'}${frac.padEnd(scale, '0')}`);
            return checked(m[1] === '-' ? -digits : digits, () => JSON.stringify(v));
          };
        }
        return {
          type,
          exec([x], rows) {
            const n = x!.constant ? 1 : rows;
            const out = new Array(n);
            for (let i = 0; i < n; i++) {
              const v = x!.values[i];
              // 18.16 parses the '' under a NULL and throws; 26.7 gives NULL.
              if (v === null && from.kind === 'string' && suffix === '') refuse(name, 'NULL text');
              out[i] = v === null ? null : row(v);
            }
            return { type, values: out, constant: x!.constant };
          },
        };
      },
    });
  }
}
