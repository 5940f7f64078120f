// Field validation with the exact messages of Psono's (Django REST framework) serializers (spec §0.3):
// the official clients show them as they are. Every field is checked; all failures are reported at once.
import { BlindvaultError } from '../errors.js';

export type FieldErrors = Record<string, string[]>;

export const MESSAGES = {
  required: 'This field is required.',
  null: 'This field may not be null.',
  blank: 'This field may not be blank.',
  maxLength: (n: number) => `Ensure this field has no more than ${n} characters.`,
  minLength: (n: number) => `Ensure this field has at least ${n} characters.`,
  string: 'Not a valid string.',
  integer: 'A valid integer is required.',
  uuid: 'IS_NOT_A_VALID_UUID',
  boolean: 'IS_NOT_A_VALID_BOOLEAN',
  hex: 'NO_VALID_HEX',
  dict: (type: string) => `Expected a dictionary of items but got type "${type}".`,
  list: (type: string) => `Expected a list of items but got type "${type}".`,
  emptyList: 'This list may not be empty.',
  maxItems: (n: number) => `Ensure this field has no more than ${n} elements.`,
  nullCharacter: 'Null characters are not allowed.',
} as const;

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const HEX = /^[0-9a-fA-F]*$/;

interface StringRules {
  required?: boolean;
  /** Absent and null both mean "not given" (spec §0.2) unless the field is required. */
  allowBlank?: boolean;
  trim?: boolean;
  lower?: boolean;
  minLength?: number;
  maxLength?: number;
}

/** The Python type name Psono's messages give a JSON value. */
export function pythonTypeName(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (value === null) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return 'str';
}

/** Reads fields from an untrusted JSON body, collecting Psono-style errors. Call `done()` at the end. */
export class FieldReader {
  readonly #body: Record<string, unknown>;
  readonly errors: FieldErrors = {};

  constructor(body: unknown) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new BlindvaultError('VAULT_FIELD_ERRORS', {
        fields: { non_field_errors: [`Invalid data. Expected a dictionary, but got ${pythonTypeName(body)}.`] },
      });
    }
    this.#body = body as Record<string, unknown>;
  }

  #fail(name: string, message: string): undefined {
    (this.errors[name] ??= []).push(message);
    return undefined;
  }

  /** The raw value, or undefined when absent or null (with the required/null errors). */
  #raw(name: string, required: boolean): unknown {
    const value = Object.hasOwn(this.#body, name) ? this.#body[name] : undefined;
    if (value === undefined || value === null) {
      if (required) this.#fail(name, value === null ? MESSAGES.null : MESSAGES.required);
      return undefined;
    }
    return value;
  }

  string(name: string, rules: StringRules = {}): string | undefined {
    const raw = this.#raw(name, rules.required ?? false);
    if (raw === undefined) return undefined;
    if (typeof raw !== 'string' && typeof raw !== 'number') return this.#fail(name, MESSAGES.string);
    let value = String(raw);
    // PostgreSQL cannot store U+0000; DRF refuses it in every CharField.
    if (value.includes('\u0000')) return this.#fail(name, MESSAGES.nullCharacter);
    if (rules.trim ?? true) value = value.trim();
    if (value === '') return rules.allowBlank ? '' : this.#fail(name, MESSAGES.blank);
    if (rules.lower) value = value.toLowerCase();
    if (rules.maxLength !== undefined && value.length > rules.maxLength) return this.#fail(name, MESSAGES.maxLength(rules.maxLength));
    if (rules.minLength !== undefined && value.length < rules.minLength) return this.#fail(name, MESSAGES.minLength(rules.minLength));
    return value;
  }

  /** Hex of an exact length (or any even length of at least `minLength`), returned lower-case (§0.2). */
  hex(name: string, rules: { required?: boolean; length?: number; minLength?: number; maxLength?: number }): string | undefined {
    const value = this.string(name, {
      required: rules.required ?? false,
      ...(rules.length !== undefined ? { minLength: rules.length, maxLength: rules.length } : {}),
      ...(rules.minLength !== undefined ? { minLength: rules.minLength } : {}),
      ...(rules.maxLength !== undefined ? { maxLength: rules.maxLength } : {}),
    });
    if (value === undefined) return undefined;
    if (!HEX.test(value) || value.length % 2 !== 0) return this.#fail(name, MESSAGES.hex);
    return value.toLowerCase();
  }

  /** A NaCl nonce: exactly 48 hex characters (BV, §0.4). */
  nonce(name: string, required = true): string | undefined {
    return this.hex(name, { required, length: 48 });
  }

  integer(name: string, required = false): number | undefined {
    const raw = this.#raw(name, required);
    if (raw === undefined) return undefined;
    const value = typeof raw === 'string' && /^-?\d{1,15}$/.test(raw.trim()) ? Number(raw.trim()) : raw;
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) return this.#fail(name, MESSAGES.integer);
    return value;
  }

  boolean(name: string, required = false): boolean | undefined {
    const raw = this.#raw(name, required);
    if (raw === undefined) return undefined;
    if (typeof raw !== 'boolean') return this.#fail(name, MESSAGES.boolean);
    return raw;
  }

  uuid(name: string, required = false): string | undefined {
    const raw = this.#raw(name, required);
    if (raw === undefined) return undefined;
    if (typeof raw !== 'string' || !UUID.test(raw)) return this.#fail(name, MESSAGES.uuid);
    return raw.toLowerCase();
  }

  object(name: string, required = false): Record<string, unknown> | undefined {
    const raw = this.#raw(name, required);
    if (raw === undefined) return undefined;
    if (typeof raw !== 'object' || Array.isArray(raw)) return this.#fail(name, MESSAGES.dict(pythonTypeName(raw)));
    return raw as Record<string, unknown>;
  }

  /** A JSON array of at most `maxItems` entries (checked before any entry is looked at). */
  list(name: string, rules: { required?: boolean; allowEmpty?: boolean; maxItems: number }): unknown[] | undefined {
    const raw = this.#raw(name, rules.required ?? false);
    if (raw === undefined) return undefined;
    if (!Array.isArray(raw)) return this.#fail(name, MESSAGES.list(pythonTypeName(raw)));
    if (raw.length === 0 && !(rules.allowEmpty ?? true)) return this.#fail(name, MESSAGES.emptyList);
    if (raw.length > rules.maxItems) return this.#fail(name, MESSAGES.maxItems(rules.maxItems));
    return raw;
  }

  /** Adds a domain-specific message (e.g. INVALID_USERNAME_FORMAT). */
  fail(name: string, message: string): undefined {
    return this.#fail(name, message);
  }

  get ok(): boolean {
    return Object.keys(this.errors).length === 0;
  }

  /** Throws the collected field errors, if any. */
  done(): void {
    if (!this.ok) throw new BlindvaultError('VAULT_FIELD_ERRORS', { fields: this.errors });
  }
}
