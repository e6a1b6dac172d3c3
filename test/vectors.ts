/** The test vectors kept in the repository (test/vectors/, see its README): read by path inside a set. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** test/vectors/ in this checkout. */
export const VECTORS = path.join(import.meta.dirname, 'vectors');

export type VectorSet = 'ch-go' | 'cityhash';

/** The bytes of test/vectors/<set>/<file>, e.g. vector('ch-go', 'proto/golden/col_int8.raw'). */
export function vector(set: VectorSet, file: string): Buffer {
  return readFileSync(path.join(VECTORS, set, file));
}
