/**
 * What a Dynamic column that was read knows about its rows (each row's type, the listed types), carried through the
 * composite codecs that slice it, so that writing a read column back gives ClickHouse's bytes again.
 *
 * A Dynamic read records a `View` on the array it returns. Composites whose child column has a view keep it for
 * the pieces they make of it, without copying: an Array(Dynamic) row (a new array) gets the view of its element
 * range; a Tuple(…Dynamic…) row or a Map(K, Dynamic) row (values, not columns) gets its part's range (`setParts`).
 * When writing, a composite that gathers a child column from rows builds the child column's view from the pieces'
 * views (`ViewBuilder`); a piece without one (a value the user made), or whose length changed, is unrecorded and its
 * types are inferred as usual. Only the Dynamic codec looks inside a segment's `base`; the composites only slice
 * and join. JSON rows are objects, so JSON keeps its record on each row object instead (json.ts), and that
 * survives any slicing or regrouping as it is.
 */

/** Rows [start, end) of a read column's record `base`, or `end - start` rows with no record (base undefined). */
export interface Segment {
  readonly base: object | undefined;
  readonly start: number;
  readonly end: number;
}

/** Rows [start, end) of the concatenation of `segments`. */
export interface View {
  readonly segments: readonly Segment[];
  readonly start: number;
  readonly end: number;
}

const VIEWS = new WeakMap<object, View>();

/** Per Tuple or Map row: part p (a tuple element, a map's keys or values) is rows [start, end) of parts[p]. */
interface Parts {
  readonly parts: readonly (View | undefined)[];
  readonly start: number;
  readonly end: number;
}

const PARTS = new WeakMap<object, Parts>();

/** Records that the `rows` rows of `column` are rows 0… of `base`. */
export function recordColumn(column: object, base: object, rows: number): void {
  VIEWS.set(column, { segments: [{ base, start: 0, end: rows }], start: 0, end: rows });
}

/** The view recorded on a column (or an Array row), if any. */
export function viewOf(column: unknown): View | undefined {
  return typeof column === 'object' && column !== null ? VIEWS.get(column) : undefined;
}

/** Rows [start, end) of a view. */
export function sliceView(view: View, start: number, end: number): View {
  return { segments: view.segments, start: view.start + start, end: view.start + end };
}

/** Records on `piece` (a row made of rows [start, end) of a column) its part of the column's view. */
export function recordSlice(piece: object, view: View, start: number, end: number): void {
  VIEWS.set(piece, sliceView(view, start, end));
}

/** Records on a Tuple or Map row that its part p is rows [start, end) of `parts[p]`. */
export function setParts(row: object, parts: readonly (View | undefined)[], start: number, end: number): void {
  PARTS.set(row, { parts, start, end });
}

/** The view of part `p` of a Tuple or Map row, if recorded. */
export function partOf(row: unknown, p: number): View | undefined {
  if (typeof row !== 'object' || row === null) return undefined;
  const parts = PARTS.get(row);
  const view = parts?.parts[p];
  return view && sliceView(view, parts.start, parts.end);
}

/** Calls `fn(base, from, to, at)` for each segment piece of the first `rows` rows of a view (at: the first row). */
export function walkView(
  view: View,
  rows: number,
  fn: (base: object | undefined, from: number, to: number, at: number) => void,
): void {
  let offset = 0; // start of the segment in the concatenation
  let at = 0;
  const stop = Math.min(view.end, view.start + rows);
  for (const s of view.segments) {
    const length = s.end - s.start;
    const from = Math.max(view.start, offset);
    const to = Math.min(stop, offset + length);
    if (from < to) {
      fn(s.base, s.start + from - offset, s.start + to - offset, at);
      at += to - from;
    }
    offset += length;
    if (offset >= stop) break;
  }
}

/** Builds the view of a column gathered from pieces (rows, or row parts) in order. */
export class ViewBuilder {
  private readonly segments: Segment[] = [];
  private rows = 0;
  private recorded = false;

  /** Appends a piece of `length` rows; its view counts only when it has exactly that many rows. */
  add(view: View | undefined, length: number): void {
    if (length === 0) return;
    if (view && view.end - view.start === length) {
      this.recorded = true;
      walkView(view, length, (base, from, to) => this.push(base, from, to));
    } else {
      this.push(undefined, 0, length);
    }
  }

  private push(base: object | undefined, start: number, end: number): void {
    this.rows += end - start;
    const last = this.segments[this.segments.length - 1];
    if (last && last.base === base && (base === undefined || last.end === start)) {
      this.segments[this.segments.length - 1] = { base, start: last.start, end: last.end + end - start };
    } else {
      this.segments.push({ base, start, end });
    }
  }

  /** Records the joined view on `column` when any piece had one. */
  finish(column: object): void {
    if (this.recorded) VIEWS.set(column, { segments: this.segments, start: 0, end: this.rows });
  }
}
