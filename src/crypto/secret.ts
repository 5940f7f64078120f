// util.inspect's hook, by its registered symbol: no node:util import, so this module runs in browsers too.
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * A value that must never reach a log: JSON.stringify, util.inspect, String() and template literals
 * all print "[redacted]". The value is read only through `reveal()`, which makes every use visible.
 */
export class Secret<T> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  reveal(): T {
    return this.#value;
  }

  toJSON(): string {
    return '[redacted]';
  }

  toString(): string {
    return '[redacted]';
  }

  [INSPECT](): string {
    return 'Secret([redacted])';
  }
}
