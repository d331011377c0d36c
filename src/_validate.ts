/** Describes a value for an error message, without dumping large or secret-looking objects. */
export function show(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(
      value.length > 60 ? value.slice(0, 57) + "..." : value,
    );
  }
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Map) return "a Map";
  if (value instanceof Set) return "a Set";
  if (value !== null && typeof value === "object") return "an object";
  return String(value);
}

/**
 * Throws the house-style argument error: `Cannot <what> as '<name>' must be
 * <rule>: current value is <value>`. A `TypeError` unless `err` says otherwise.
 */
export function fail(
  what: string,
  name: string,
  rule: string,
  value: unknown,
  err: ErrorConstructor = TypeError,
): never {
  throw new err(
    `Cannot ${what} as '${name}' must be ${rule}: current value is ${
      show(value)
    }`,
  );
}

/**
 * The argument named by an error that {@linkcode fail} threw, and its rule
 * as `must be <rule>: current value is <value>`; undefined for any other
 * error. The emulator's HTTP routes answer it as a 400's reason.
 */
export function failedArgument(
  error: unknown,
): { name: string; reason: string } | undefined {
  if (!(error instanceof TypeError || error instanceof RangeError)) {
    return undefined;
  }
  // [^] and a lazy name: `what` may hold a line break, a name a quote.
  const found = /^Cannot [^]*? as '([^]+?)' (must be [^]*)$/.exec(
    error.message,
  );
  return found ? { name: found[1]!, reason: found[2]! } : undefined;
}

/**
 * Throws a TypeError naming `name` unless `value` is a non-empty string
 * without a lone surrogate (see {@linkcode requireWellFormed}).
 */
export function requireId(what: string, name: string, value: unknown): string {
  if (typeof value !== "string" || !value) {
    fail(what, name, "a non-empty string", value);
  }
  return requireWellFormed(what, name, value);
}

/**
 * Throws a TypeError naming `name` if `value` holds a lone surrogate, which
 * no URL can carry: `encodeURIComponent` throws a URIError on it, and
 * `URLSearchParams` silently sends U+FFFD instead. The regex is
 * `String.prototype.isWellFormed`, in a form every runtime has. The value is
 * not shown: it may be a secret key.
 */
export function requireWellFormed(
  what: string,
  name: string,
  value: string,
): string {
  const at = value.search(/\p{Cs}/u);
  if (at >= 0) {
    throw new TypeError(
      `Cannot ${what} as '${name}' must be well-formed Unicode: current value has a lone surrogate at index ${at}`,
    );
  }
  return value;
}

/** Throws a TypeError naming `name` unless `value` is an object of fields (not an array, Map, Set or null). */
export function requireObject(
  what: string,
  name: string,
  value: unknown,
): Record<string, unknown> {
  // A Map or Set has no entries Object.entries() or JSON would see: a
  // putMany() of one would send nothing, a put() an empty object.
  if (
    typeof value !== "object" || !value || Array.isArray(value) ||
    value instanceof Map || value instanceof Set
  ) {
    fail(what, name, "an object", value);
  }
  return value as Record<string, unknown>;
}

/** Throws a TypeError naming `name` unless `value` is an AbortSignal or undefined. */
export function requireSignal(
  what: string,
  name: string,
  value: unknown,
): AbortSignal | undefined {
  if (value !== undefined && !(value instanceof AbortSignal)) {
    fail(what, name, "an AbortSignal", value);
  }
  return value;
}

/**
 * Checks the last `options` argument of a call that sends: undefined, or an
 * object whose `signal` is an AbortSignal or undefined. Returns the options.
 */
export function requireOptions(
  what: string,
  value: unknown,
): { signal?: AbortSignal } & Record<string, unknown> {
  if (value === undefined) return {};
  const options = requireObject(what, "options", value);
  requireSignal(what, "options.signal", options.signal);
  return options;
}

/** Throws a TypeError naming `name` unless `value` is a function (or, with `optional`, undefined). */
export function requireFunction(
  what: string,
  name: string,
  value: unknown,
  optional?: boolean,
): void {
  if (typeof value !== "function" && !(optional && value === undefined)) {
    fail(what, name, "a function", value);
  }
}

/**
 * Throws unless `value` is a number that passes `ok`: a `RangeError` for a
 * number (a wrong value), a `TypeError` for anything else (a wrong shape),
 * unless `err` says which.
 */
export function requireNumber(
  what: string,
  name: string,
  value: unknown,
  rule: string,
  ok: (n: number) => boolean,
  err?: ErrorConstructor,
): number {
  if (typeof value !== "number" || !ok(value)) {
    fail(
      what,
      name,
      rule,
      value,
      err ?? (typeof value === "number" ? RangeError : TypeError),
    );
  }
  return value;
}

/** `n` is finite and above 0. */
export const isPositiveFinite = (n: number): boolean => n > 0 && isFinite(n);

/** `n` is a non-negative integer or `Infinity`. */
export const isCount = (n: number): boolean =>
  n === Infinity || (Number.isInteger(n) && n >= 0);

/** Throws a RangeError naming `name` unless `value` is an integer in [min, max] (a TypeError if not a number). */
export function requireInt(
  what: string,
  name: string,
  value: unknown,
  min: number,
  max: number,
): number {
  return requireNumber(
    what,
    name,
    value,
    `an integer ${max === Infinity ? `>= ${min}` : `from ${min} to ${max}`}`,
    (n) => Number.isInteger(n) && n >= min && n <= max,
  );
}

/** Throws unless `value` is a finite number > 0 (or >= 0 with `allowZero`). */
export function requirePositive(
  what: string,
  name: string,
  value: unknown,
  allowZero = false,
): number {
  return requireNumber(
    what,
    name,
    value,
    `a ${allowZero ? "non-negative" : "positive"} finite number`,
    (n) => isFinite(n) && n >= 0 && (allowZero || n > 0),
  );
}

/** Throws a TypeError naming `name` unless `value` has a Clock's `now` and `sleep`. */
export function requireClock(what: string, name: string, value: unknown): void {
  const clock = value as { now?: unknown; sleep?: unknown } | null | undefined;
  if (typeof clock?.now !== "function" || typeof clock.sleep !== "function") {
    fail(what, name, "a Clock", value);
  }
}

/**
 * Throws unless `value` is a string that passes `ok`: a `TypeError` for
 * anything but a string (a wrong shape), a `RangeError` for a string that
 * fails `ok` (a wrong value).
 */
export function requireString(
  what: string,
  name: string,
  value: unknown,
  rule: string,
  ok: (s: string) => boolean,
): string {
  if (typeof value !== "string" || !ok(value)) {
    fail(
      what,
      name,
      rule,
      value,
      typeof value === "string" ? RangeError : TypeError,
    );
  }
  return value;
}
