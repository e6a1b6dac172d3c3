/**
 * String functions whose results repeat while their inputs do not (a field pulled out of unique JSON texts, a URL
 * with its numbers masked): each row's result is compared in place with the last few distinct results, and a row
 * that equals one of them takes that string instead of a new one. No string is made for such a row, none is hashed
 * (the per-block memo and interner of mapStrings hash every unique input and result), and the column holds one
 * string per distinct value, so the young generation has nothing to copy.
 *
 * Measured (bench/defaults-eval.ts, 1 M rows in 16 384-row blocks, fresh application strings, load 8-10, CPU ms
 * per M rows, main against this): replaceRegexpAll(url, '[0-9]+', 'N') 1011-1366 → 534-551, extract of a JSON field
 * 193-221 → 126-162 (the one that first reads the application's strings pays for flattening them either way).
 *
 * Exactness: a row reuses a result only when the comparison proves the function's value is that string, character
 * for character; otherwise the value is computed by the same code as before (the caller's `compute`).
 */
import type { Str } from '../column.js';

/** How many distinct results are compared with; a column with more distinct results than this gains nothing. */
const RECENT = 8;
/** Rows after which the comparison stops for the block when fewer than half of them matched a recent result. */
const PROBE_ROWS = 4096;

/** The last RECENT distinct results of one block, and whether comparing with them still pays. */
class RecentResults {
  readonly items: string[] = [];
  private next = 0;
  private seen = 0;
  private hits = 0;
  on = true;

  /** Counts a row that matched (hit) or not; turns the comparison off when it does not pay. */
  count(hit: boolean): void {
    if (hit) this.hits++;
    if (++this.seen === PROBE_ROWS && this.hits < PROBE_ROWS / 2) this.on = false;
  }

  add(s: string): string {
    if (this.items.length < RECENT) this.items.push(s);
    else {
      this.items[this.next] = s;
      this.next = (this.next + 1) % RECENT;
    }
    return s;
  }
}

/**
 * replaceClassRuns reads rows as bytes a batch at a time: the batch's strings joined and written once as UTF-8
 * into a scratch buffer. The application's strings are concatenations (V8 ropes): reading one with charCodeAt
 * flattens it into a new string that the application's column then keeps, and charCodeAt goes through the
 * indirection after that; writing the joined batch reads them without flattening (as the String codec and
 * cityHash64 do). Measured on the bench's url column (bench/defaults-eval.ts, 16,384-row blocks, CPU ms per M
 * rows): row_hash + url_pattern 698 + 551 by string → 599 + 367 by bytes. extract() keeps the string path: three
 * extracts of one column each writing it cost more (289 + 310 + 324) than flattening it once and searching it
 * with the native indexOf (360 + 126 + 141).
 */
const BATCH = 128;
let scratch = Buffer.allocUnsafe(1 << 16);
/** Byte offset in `scratch` of each row of the batch (and one past its last). */
const batchOffsets = new Int32Array(BATCH + 1);

/**
 * Writes rows [start, end) into `scratch`, joined, when all are JS strings; true when the text is all ASCII (it
 * wrote as many bytes as it has UTF-16 units: any other unit, a lone surrogate included, takes 2 to 4 bytes), and
 * then row start + k is scratch[batchOffsets[k], batchOffsets[k + 1]), byte for character.
 */
function asciiBatch(values: ArrayLike<unknown>, start: number, end: number): boolean {
  let joined = '';
  let offset = 0;
  for (let i = start; i < end; i++) {
    const s = values[i];
    if (typeof s !== 'string') return false;
    batchOffsets[i - start] = offset;
    offset += s.length;
    joined += s;
  }
  batchOffsets[end - start] = offset;
  if (scratch.length < offset * 3) scratch = Buffer.allocUnsafe(offset * 3);
  return scratch.write(joined, 0, 'utf8') === offset;
}

/**
 * extract(s, 'P([^c]*)c') of a delimited field (strings.ts, delimitedField) for every row of a non-constant
 * column: the text after the first `prefix` up to the first `stop` after it; '' without a prefix, or, `closed`,
 * without a stop after it; to the end otherwise. Byte arrays (not valid UTF-8) go to `other`, which refuses them.
 */
export function extractDelimited(
  values: ArrayLike<unknown>,
  rows: number,
  prefix: string,
  stop: string,
  closed: boolean,
  other: (v: Str) => Str,
): Str[] {
  const out = new Array<Str>(rows);
  const recent = new RecentResults();
  const items = recent.items;
  for (let i = 0; i < rows; i++) {
    const s = values[i];
    if (typeof s !== 'string') {
      out[i] = other(s as Str);
      continue;
    }
    const at = s.indexOf(prefix);
    if (at < 0) {
      out[i] = '';
      continue;
    }
    const from = at + prefix.length;
    let end = s.indexOf(stop, from);
    if (end < 0) {
      if (closed) {
        out[i] = '';
        continue;
      }
      end = s.length;
    }
    if (recent.on) {
      const length = end - from;
      let found: string | undefined;
      for (let k = 0; k < items.length; k++) {
        const r = items[k]!;
        if (r.length === length && s.startsWith(r, from)) {
          found = r;
          break;
        }
      }
      recent.count(found !== undefined);
      out[i] = found ?? recent.add(s.slice(from, end));
    } else out[i] = s.slice(from, end);
  }
  return out;
}

/**
 * For an RE2 pattern `[class]+` (one positive class of printable ASCII characters), the class as a table of the
 * 128 ASCII codes, taken from `re` (the global JS regexp the string path runs for that pattern): a code is in the
 * class when `re` matches that character whole. Undefined (no kernel) for any other pattern, and when `re` matches
 * any of a few non-ASCII characters (then the class is not what the syntax check took it for).
 */
export function asciiClassRun(pattern: string, re: RegExp): Uint8Array | undefined {
  if (!/^\[(?:\\[\x21-\x7e]|[\x20-\x5b\x5d-\x7e])+\]\+$/.test(pattern)) return undefined;
  if (pattern[1] === '^' || pattern[1] === ']') return undefined;
  if (!re.global || re.ignoreCase || re.multiline || re.sticky) return undefined;
  const whole = (s: string): boolean => {
    re.lastIndex = 0;
    const m = re.exec(s);
    re.lastIndex = 0;
    return m !== null && m.index === 0 && m[0] === s;
  };
  const table = new Uint8Array(128);
  for (let c = 0; c < 128; c++) table[c] = whole(String.fromCharCode(c)) ? 1 : 0;
  const matchesIn = (s: string): boolean => {
    re.lastIndex = 0;
    const found = re.test(s);
    re.lastIndex = 0;
    return found;
  };
  for (const probe of ['\u0080', '\u00a0', '\u00e9', '\u0130', '\u2028', '\u4e2d', '\ufffd', '\u{1f600}', '\ud800'])
    if (matchesIn(probe)) return undefined;
  return table;
}

/**
 * Whether replacing every maximal run of `table` characters in `s` by `replacement` gives exactly `r`: the
 * value of replaceRegexpAll(s, '[class]+', replacement) for a class of ASCII characters (a UTF-16 unit that is not
 * ASCII, a surrogate included, is never in the class, so units and code points give the same runs).
 */
function replacesTo(s: string, table: Uint8Array, replacement: string, r: string): boolean {
  const n = s.length;
  let j = 0;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 128 && table[c] === 1) {
      i++;
      while (i < n) {
        const d = s.charCodeAt(i);
        if (d < 128 && table[d] === 1) i++;
        else break;
      }
      if (!r.startsWith(replacement, j)) return false;
      j += replacement.length;
    } else {
      if (r.charCodeAt(j) !== c) return false;
      i++;
      j++;
    }
  }
  return j === r.length;
}

/**
 * replaceRegexpAll(s, '[class]+', replacement) for every row of a non-constant column (`replacement` literal,
 * `table` from asciiClassRun): a row whose value is a recent result (replacesTo) takes it; any other row is
 * computed by `compute`, the string path's function, which also refuses what it refuses.
 */
export function replaceClassRuns(
  values: ArrayLike<unknown>,
  rows: number,
  table: Uint8Array,
  replacement: string,
  compute: (v: Str) => Str,
): Str[] {
  const out = new Array<Str>(rows);
  const recent = new RecentResults();
  const items = recent.items;
  for (let start = 0; start < rows; start += BATCH) {
    const end = Math.min(rows, start + BATCH);
    const ascii = recent.on && asciiBatch(values, start, end);
    for (let i = start; i < end; i++) {
      const s = values[i];
      if (typeof s !== 'string' || !recent.on) {
        out[i] = compute(s as Str);
        continue;
      }
      let found: string | undefined;
      for (let k = 0; k < items.length; k++) {
        const r = items[k]!;
        if (
          ascii
            ? bytesReplaceTo(batchOffsets[i - start]!, batchOffsets[i - start + 1]!, table, replacement, r)
            : replacesTo(s, table, replacement, r)
        ) {
          found = r;
          break;
        }
      }
      recent.count(found !== undefined);
      if (found !== undefined) out[i] = found;
      else {
        const r = compute(s);
        out[i] = typeof r === 'string' ? recent.add(r) : r;
      }
    }
  }
  return out;
}

/** replacesTo over the ASCII bytes scratch[first, last) of a row (one byte per character). */
function bytesReplaceTo(first: number, last: number, table: Uint8Array, replacement: string, r: string): boolean {
  let j = 0;
  let i = first;
  while (i < last) {
    const c = scratch[i]!;
    if (table[c] === 1) {
      i++;
      while (i < last && table[scratch[i]!] === 1) i++;
      if (!r.startsWith(replacement, j)) return false;
      j += replacement.length;
    } else {
      if (r.charCodeAt(j) !== c) return false;
      i++;
      j++;
    }
  }
  return j === r.length;
}
