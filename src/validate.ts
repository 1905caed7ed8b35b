// Argument checks shared by the public API. Every message names the argument (a path such as
// `optimizer.beta1`), the rule and the value got.

import { WasmArray } from './wasm/heap.js';

/** Describes a value for an error message: numbers as written, strings quoted, objects by type. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (value instanceof WasmArray) return `WasmArray(${value.type}, ${value.length})`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as { length: number }).length})`;
  if (typeof value === 'function') return 'a function';
  return (value as object).constructor?.name ?? 'an object';
}

/** Throws a TypeError unless `value` is a plain object; returns it typed as a record. */
export function plainObject(path: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${path} must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/** Throws a TypeError naming the first key of `object` not in `allowed` (keys set to undefined count as absent). */
export function knownKeys(path: string, object: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(object)) {
    if (object[key] !== undefined && !allowed.includes(key)) {
      throw new TypeError(`unknown option ${JSON.stringify(key)} in ${path}; it takes ${allowed.join(', ')}`);
    }
  }
}

interface NumberRule {
  /** Lower bound; `min` itself allowed unless `minExclusive`. */
  min?: number;
  minExclusive?: boolean;
  /** Upper bound; `max` itself allowed unless `maxExclusive`. */
  max?: number;
  maxExclusive?: boolean;
  integer?: boolean;
}

function ruleText(rule: NumberRule): string {
  const kind = rule.integer ? 'an integer' : 'a finite number';
  if (rule.min === undefined && rule.max === undefined) return `must be ${kind}`;
  if (rule.integer && rule.max === undefined && !rule.minExclusive && (rule.min === 1 || rule.min === 0)) {
    return rule.min === 1 ? 'must be a positive integer' : 'must be a non-negative integer';
  }
  if (rule.max === undefined) return `must be ${kind} ${rule.minExclusive ? '>' : '≥'} ${rule.min}`;
  if (rule.min === undefined) return `must be ${kind} ${rule.maxExclusive ? '<' : '≤'} ${rule.max}`;
  return `must be ${kind} in ${rule.minExclusive ? '(' : '['}${rule.min}, ${rule.max}${rule.maxExclusive ? ')' : ']'}`;
}

/**
 * `value`, or `fallback` when undefined, checked against `rule` (RangeError otherwise); a required
 * number passes `undefined` as its fallback, so a missing one reads "got undefined".
 */
export function numberOption(path: string, value: unknown, fallback: number | undefined, rule: NumberRule = {}): number {
  const v = value === undefined ? fallback : value;
  const ok =
    typeof v === 'number' && Number.isFinite(v) && (!rule.integer || Number.isInteger(v)) &&
    (rule.min === undefined || (rule.minExclusive ? v > rule.min : v >= rule.min)) &&
    (rule.max === undefined || (rule.maxExclusive ? v < rule.max : v <= rule.max));
  if (!ok) throw new RangeError(`${path} ${ruleText(rule)}, got ${describe(v)}`);
  return v as number;
}

/** `value`, or `fallback` when undefined, which must be a boolean (TypeError otherwise). */
export function booleanOption(path: string, value: unknown, fallback: boolean): boolean {
  const v = value === undefined ? fallback : value;
  if (typeof v !== 'boolean') throw new TypeError(`${path} must be a boolean, got ${describe(v)}`);
  return v;
}

/** `value` when it is one of the `allowed` names, else a RangeError naming `path`, the names and the value. */
export function choiceOption<T extends string>(path: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new RangeError(`${path} must be one of ${allowed.join(', ')}; got ${describe(value)}`);
  }
  return value as T;
}
