/** The parse tree of a ClickHouse SQL expression, after the parser turned operators into function calls. */
export type Expr =
  | { kind: 'literal'; value: LiteralValue }
  | { kind: 'identifier'; name: string }
  | { kind: 'function'; name: string; args: Expr[] }
  | { kind: 'lambda'; params: string[]; body: Expr };

/**
 * A literal as the server's parser sees it: integers keep their exact value (bigint) until typed, floats are
 * Float64, strings are text or raw bytes, arrays and tuples of literals stay literals.
 */
export type LiteralValue =
  | { kind: 'integer'; value: bigint }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string | Uint8Array }
  | { kind: 'null' }
  | { kind: 'bool'; value: boolean };

export const call = (name: string, ...args: Expr[]): Expr => ({ kind: 'function', name, args });
export const literal = (value: LiteralValue): Expr => ({ kind: 'literal', value });

/** Prints an expression back as SQL (for error messages and tests). */
export function formatExpr(e: Expr): string {
  switch (e.kind) {
    case 'literal': {
      const v = e.value;
      switch (v.kind) {
        case 'integer':
          return String(v.value);
        case 'float':
          return Number.isNaN(v.value)
            ? 'nan'
            : v.value === Infinity
              ? 'inf'
              : v.value === -Infinity
                ? '-inf'
                : String(v.value);
        case 'string':
          return typeof v.value === 'string'
            ? `'${v.value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
            : `unhex('${Buffer.from(v.value).toString('hex').toUpperCase()}')`;
        case 'null':
          return 'NULL';
        case 'bool':
          return v.value ? 'true' : 'false';
      }
      break;
    }
    case 'identifier':
      return /^[A-Za-z_][A-Za-z0-9_.]*$/.test(e.name) ? e.name : `\`${e.name.replace(/`/g, '\\`')}\``;
    case 'function':
      return `${e.name}(${e.args.map(formatExpr).join(', ')})`;
    case 'lambda':
      return `(${e.params.join(', ')}) -> ${formatExpr(e.body)}`;
  }
  return '?';
}
