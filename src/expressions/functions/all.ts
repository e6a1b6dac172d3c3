/** Registers every function module (imported for its side effects). */
import './operators.js';
import './conversions.js';
import './hashes.js';
import './strings.js';
import './arrays.js';
import './json.js';
import './url.js';
import './dates.js';
import './math.js';
import './ip.js';
import './decimal.js';
