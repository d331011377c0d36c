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
  if (value !== null && typeof value === "object") return "an object";
  return String(value);
}

/** Throws a TypeError naming `name` unless `value` is a non-empty string. */
export function requireId(what: string, name: string, value: unknown): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new TypeError(
      `Cannot ${what} as '${name}' must be a non-empty string: current value is ${
        show(value)
      }`,
    );
  }
  return value;
}

/** Throws a TypeError naming `name` unless `value` is a plain object (not an array, not null). */
export function requireObject(
  what: string,
  name: string,
  value: unknown,
): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(
      `Cannot ${what} as '${name}' must be an object: current value is ${
        show(value)
      }`,
    );
  }
  return value as Record<string, unknown>;
}

/** Throws a RangeError naming `name` unless `value` is an integer in [min, max]. */
export function requireInt(
  what: string,
  name: string,
  value: unknown,
  min: number,
  max: number,
): number {
  if (
    typeof value !== "number" || !Number.isInteger(value) || value < min ||
    value > max
  ) {
    const range = max === Infinity ? `>= ${min}` : `from ${min} to ${max}`;
    const err = typeof value === "number" ? RangeError : TypeError;
    throw new err(
      `Cannot ${what} as '${name}' must be an integer ${range}: current value is ${
        show(value)
      }`,
    );
  }
  return value;
}

/** Throws unless `value` is a finite number > 0 (or >= 0 with `allowZero`). */
export function requirePositive(
  what: string,
  name: string,
  value: unknown,
  allowZero = false,
): number {
  if (
    typeof value !== "number" || !Number.isFinite(value) || value < 0 ||
    (!allowZero && value === 0)
  ) {
    const err = typeof value === "number" ? RangeError : TypeError;
    throw new err(
      `Cannot ${what} as '${name}' must be a ${
        allowZero ? "non-negative" : "positive"
      } finite number: current value is ${show(value)}`,
    );
  }
  return value;
}
