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
      throw new TypeError(`unknown option ${JSON.stringify(key)} in ${path}; it takes ${allowed.join(', ')}${didYouMean(key, allowed)}`);
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

/** `value` when it is one of the `allowed` names, else notOneOf's RangeError. */
export function choiceOption<T extends string>(path: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw notOneOf(path, value, allowed);
  return value as T;
}

/**
 * The one error for a value outside a list of names: a RangeError naming `path`, the names, the value
 * got and, when one name is close to it, that name (`did you mean 'conv2d'?`). `rule` replaces
 * "one of …" when the list needs more words ("one of 'valid', 'same' to import").
 */
export function notOneOf(path: string, value: unknown, allowed: readonly string[], rule = oneOf(allowed)): RangeError {
  return new RangeError(`${path} must be ${rule}; got ${describe(value)}${didYouMean(value, allowed)}`);
}

/** `one of 'a', 'b', 'c'`: the names quoted as they are written in code. */
export function oneOf(names: readonly string[]): string {
  return `one of ${names.map((name) => `'${name}'`).join(', ')}`;
}

/** `; did you mean 'name'?` for the name of `allowed` closest to `value`, or '' when none is close. */
export function didYouMean(value: unknown, allowed: readonly string[]): string {
  const close = typeof value === 'string' ? closestName(value, allowed) : undefined;
  return close === undefined ? '' : `; did you mean '${close}'?`;
}

/**
 * The name of `names` nearest to `value` by edit distance, ignoring case, or undefined when none is
 * near: TypeScript's rule for its own "did you mean" (distance below 0.4 × length + 1, lengths within
 * a third), so 'conv2D' finds 'conv2d' and 'adamm' 'adam' while 'swish' finds nothing.
 */
export function closestName(value: string, names: readonly string[]): string | undefined {
  const wanted = value.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.floor(value.length * 0.4) + 1;
  for (const name of names) {
    if (Math.abs(name.length - value.length) > Math.max(2, Math.floor(value.length * 0.34))) continue;
    const distance = editDistance(wanted, name.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  return best;
}

/** Levenshtein distance (insertions, deletions, substitutions) between `a` and `b`. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
