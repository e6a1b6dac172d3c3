// Prints which LZ4 engine the client uses in a process started with this environment (native.test.ts).
import { LZ4_ENGINE } from '../../src/compression/native.js';

console.log(LZ4_ENGINE);
