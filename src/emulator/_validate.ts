import { badRequest, HttpError } from "./_http.ts";

/** @internal A field check: a message (to follow the field's name) or undefined. */
export type Check = (value: unknown) => string | undefined;

/** @internal A plain object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** @internal A value as JSON (cut at 60 characters), for a 400's reason. */
export function show(value: unknown): string {
  try {
    const s = JSON.stringify(value);
    return s === undefined
      ? String(value)
      : s.length > 60
      ? `${s.slice(0, 57)}...`
      : s;
  } catch {
    return String(value);
  }
}

function check(ok: (v: unknown) => boolean, rule: string): Check {
  return (v) =>
    ok(v) ? undefined : `must be ${rule}: current value is ${show(v)}`;
}

const isStringArray = (v: unknown): boolean =>
  Array.isArray(v) && v.every((s) => typeof s === "string");

const isCustomPatch = (v: unknown): boolean =>
  isObject(v) &&
  Object.values(v).every((x) => typeof x === "string" || x === null);

/** @internal Checks by name. */
export const checks = {
  nonEmptyString: check(
    (v) => typeof v === "string" && v.length > 0,
    "a non-empty string",
  ),
  string: check((v) => typeof v === "string", "a string"),
  boolean: check((v) => typeof v === "boolean", "true or false"),
  nullableString: check(
    (v) => v === null || typeof v === "string",
    "a string or null",
  ),
  nullableStringArray: check(
    (v) => v === null || isStringArray(v),
    "an array of strings or null",
  ),
  idArray: check(
    (v) =>
      Array.isArray(v) && v.every((s) => typeof s === "string" && s.length > 0),
    "an array of non-empty strings",
  ),
  stringArray: check(isStringArray, "an array of strings"),
  /**
   * Custom fields of users and conversations: `null` removes a key, and
   * `null` for the whole object removes every key (TalkJS's anonymise
   * example sends it).
   */
  nullableCustomPatch: check(
    (v) => v === null || isCustomPatch(v),
    "an object of string (or null) values, or null",
  ),
  custom: check(
    (v) => isObject(v) && Object.values(v).every((x) => typeof x === "string"),
    "an object of string values",
  ),
  /**
   * A user's push tokens: keys `provider:token` (`fcm` or `apns`, TalkJS's
   * reference), `true` registers, `null` unregisters; `null` for the whole
   * object unregisters every device.
   */
  pushTokens: check(
    (v) =>
      v === null || (isObject(v) &&
        Object.entries(v).every(([k, x]) =>
          /^(fcm|apns):./.test(k) && (x === true || x === null)
        )),
    'null or an object of "fcm:<token>" / "apns:<token>" keys with true or null values',
  ),
  /** Notification settings: an object of strings (TalkJS lists string fields only). */
  stringRecord: check(
    (v) => isObject(v) && Object.values(v).every((x) => typeof x === "string"),
    "an object of string values",
  ),
  timestamp: check(
    (v) => typeof v === "number" && Number.isFinite(v) && v >= 0,
    "a number of milliseconds since the epoch",
  ),
  notify: check(
    (v) => typeof v === "boolean" || v === "MentionsOnly",
    'true, false or "MentionsOnly"',
  ),
  access: check(
    (v) => v === "ReadWrite" || v === "Read",
    '"ReadWrite" or "Read"',
  ),
  accessOrNone: check(
    (v) => v === "ReadWrite" || v === "Read" || v === "None",
    '"ReadWrite", "Read" or "None"',
  ),
  oneOf: (values: readonly unknown[]): Check =>
    check(
      (v) => values.includes(v),
      values.map((x) => JSON.stringify(x)).join(" or "),
    ),
} as const;

/**
 * @internal Checks every field of `input` against `schema`: `[field, message]`
 * pairs for each bad or unknown field, and for each `required` field missing.
 */
export function problems(
  input: Record<string, unknown>,
  schema: Record<string, Check>,
  required: readonly string[] = [],
): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, value] of Object.entries(input)) {
    const c = Object.hasOwn(schema, key) ? schema[key] : undefined;
    if (!c) out.push([key, "is not a known field"]);
    else {
      const message = c(value);
      if (message) out.push([key, message]);
    }
  }
  for (const key of required) {
    if (input[key] === undefined) out.push([key, "is required"]);
  }
  return out;
}

/** @internal Throws a 400 naming every problem. */
export function assertValid(found: [string, string][]): void {
  if (found.length === 0) return;
  // Built from entries: a field named "__proto__" is a key like any other.
  const reasons: Record<string, string> = Object.fromEntries(found);
  throw new HttpError(400, reasons);
}

/** @internal The body as an object, or a 400 naming `body`. */
export function requireBodyObject(value: unknown): Record<string, unknown> {
  if (!isObject(value)) {
    badRequest(
      "body",
      `must be a JSON object: current value is ${show(value)}`,
    );
  }
  return value;
}

/**
 * @internal The body as an object whose fields pass `schema` (an absent
 * body as `{}` with `optional`), or a 400 naming every problem.
 */
export function validBody(
  body: unknown,
  schema: Record<string, Check>,
  { required = [], optional = false }: {
    required?: readonly string[];
    optional?: boolean;
  } = {},
): Record<string, unknown> {
  const input = optional && body === undefined ? {} : requireBodyObject(body);
  assertValid(problems(input, schema, required));
  return input;
}

/** @internal The body as an array of 1 to `max` items, or a 400 naming `body`. */
export function requireBodyArray(value: unknown, max: number): unknown[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > max) {
    badRequest(
      "body",
      `must be an array of 1 to ${max} items: current value is ${show(value)}`,
    );
  }
  return value;
}

/**
 * @internal Merges custom fields (or push tokens); `null` removes a key, a
 * `null` patch every key. Through a Map, so that a key such as "__proto__"
 * is stored like any other.
 */
export function mergeCustom<T>(
  target: Record<string, T>,
  patch: Record<string, unknown> | null,
): Record<string, T> {
  if (patch === null) return {};
  const out = new Map(Object.entries(target));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) out.delete(k);
    else out.set(k, v as T);
  }
  return Object.fromEntries(out);
}
