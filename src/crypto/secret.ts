import { inspect } from 'node:util';

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

  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}
