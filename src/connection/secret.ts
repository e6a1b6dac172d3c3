/**
 * A credential (password, private key) that must never show up in util.inspect, JSON, String(), template strings
 * or error output. The value lives in an ES private field, which no inspection of the object reveals (not even
 * `util.inspect(x, { showHidden: true })`); only `reveal()` returns it, at the one place that sends it.
 */
import { inspect } from 'node:util';

const REDACTED = '[REDACTED]';

export class Secret<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  /** The value itself: call it only where it goes on the wire (Hello, the TLS context). */
  reveal(): T {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
