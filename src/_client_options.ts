import { type Clock, systemClock } from "./clock.ts";
import type { Limiter } from "./limiter.ts";
import { resolveRetryOptions, type RetryPolicy } from "./retry.ts";
import type { ClientOptions, RequestInfo, ResponseInfo } from "./_types.ts";
import { encodeSegment } from "./_http.ts";
import {
  fail,
  isPositiveFinite,
  requireClock,
  requireFunction,
  requireId,
  requireNumber,
  requireObject,
} from "./_validate.ts";

/** The options of {@linkcode createClient} but the app's credentials, checked, with defaults. */
export interface SharedConfig {
  base: URL;
  auth: "token" | "secret-key";
  tokenTtlSeconds: number;
  fetch: typeof fetch;
  timeoutMs: number;
  retry: RetryPolicy | false;
  /** `undefined`: the client makes its own limiter. */
  limiter: Limiter | false | undefined;
  clock: Clock;
  apiVersion: string | undefined;
  onRequest: ((info: RequestInfo) => void) | undefined;
  onResponse: ((info: ResponseInfo) => void) | undefined;
}

/** Every option of {@linkcode createClient}, checked once, with defaults. */
export interface ClientConfig extends SharedConfig {
  appId: string;
  secretKey: string;
  /** `/v1/{appId}` under the base URL's path: every request's path starts with it. */
  prefix: string;
}

const WHAT = "create a TalkJS client";

function checkBaseUrl(what: string, baseUrl: unknown): URL {
  requireId(what, "baseUrl", baseUrl);
  let base: URL | undefined;
  try {
    base = new URL(baseUrl as string);
  } catch {
    // Refused below, as any URL that is not an absolute http(s) one.
  }
  if (base ? base.username || base.password : /@/.test(baseUrl as string)) {
    // Not shown: the credentials may be secret. A string that is no URL (a
    // bad port, a space in the host) but has an "@" may hold them too.
    throw new TypeError(
      `Cannot ${what} as 'baseUrl' must not have credentials`,
    );
  }
  if (!base || !/^https?:$/.test(base.protocol) || base.search || base.hash) {
    fail(
      what,
      "baseUrl",
      "an absolute URL, http(s), without query or fragment",
      baseUrl,
    );
  }
  return base;
}

function checkLimiter(what: string, limiter: unknown): void {
  if (
    limiter !== undefined && limiter !== false &&
    (typeof limiter !== "object" || !limiter ||
      ["acquire", "schedule", "penalize"].some((name) =>
        typeof (limiter as Record<string, unknown>)[name] !== "function"
      ))
  ) {
    fail(
      what,
      "limiter",
      "a Limiter (acquire, schedule, penalize) or false",
      limiter,
    );
  }
}

/**
 * Checks every option of {@linkcode createClient} but `appId` and
 * `secretKey`, once: what the `talkjs()` middleware checks when it is
 * created, before it knows any app.
 */
export function resolveSharedOptions(
  options: Omit<ClientOptions, "appId" | "secretKey">,
  what: string = WHAT,
): SharedConfig {
  const {
    baseUrl = "https://api.talkjs.com",
    auth = "token",
    tokenTtlSeconds = 30,
    fetch = globalThis.fetch,
    timeoutMs = 30_000,
    retry = {},
    limiter,
    clock = systemClock,
    apiVersion,
    onRequest,
    onResponse,
  } = options;
  const base = checkBaseUrl(what, baseUrl);
  if (auth !== "token" && auth !== "secret-key") {
    fail(what, "auth", `"token" or "secret-key"`, auth);
  }
  requireNumber(
    what,
    "tokenTtlSeconds",
    tokenTtlSeconds,
    "a positive number",
    isPositiveFinite,
    RangeError,
  );
  requireFunction(what, "fetch", fetch);
  requireFunction(what, "onRequest", onRequest, true);
  requireFunction(what, "onResponse", onResponse, true);
  requireNumber(
    what,
    "timeoutMs",
    timeoutMs,
    "a positive number",
    (n) => n > 0,
    RangeError,
  );
  if (retry !== false && (typeof retry !== "object" || !retry)) {
    fail(what, "retry", "an object or false", retry);
  }
  // Not silently dropped: a call's retries stop with that call's signal.
  if (retry && (retry as { signal?: unknown }).signal !== undefined) {
    fail(
      what,
      "retry.signal",
      "undefined (each call takes a signal of its own)",
      (retry as { signal?: unknown }).signal,
    );
  }
  if (
    apiVersion !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(apiVersion))
  ) {
    fail(what, "apiVersion", `a date like "2021-02-09"`, apiVersion);
  }
  requireClock(what, "clock", clock);
  checkLimiter(what, limiter);
  return {
    base,
    auth,
    tokenTtlSeconds,
    fetch,
    timeoutMs,
    retry: retry && resolveRetryOptions({ clock, ...retry }, what, "retry."),
    limiter,
    clock,
    apiVersion,
    onRequest,
    onResponse,
  };
}

/**
 * Checks the options of {@linkcode createClient} once, when the client is
 * created, and fills in the defaults. Throws a TypeError or RangeError
 * naming the first bad option.
 */
export function resolveClientOptions(options: ClientOptions): ClientConfig {
  requireObject(WHAT, "options", options);
  const { appId, secretKey } = options;
  // Checked as a path segment: ".." would take every request outside /v1.
  const appPath = encodeSegment(WHAT, "appId", appId);
  if (typeof secretKey !== "string" || !/^[\w.~-]+$/.test(secretKey)) {
    // The value is not shown: it may be a secret in the wrong place.
    // TalkJS's keys are sk_test_/sk_live_ and letters and digits. A pasted key
    // with a newline or space would fail in fetch, whose error quotes the
    // header (and so the key) back; a quote, backslash, "<" or "%" is escaped
    // by a server that echoes the key in JSON, HTML or a URL, and an escaped
    // key would get past redaction.
    throw new TypeError(
      `Cannot ${WHAT} as 'secretKey' must be a non-empty string of letters, digits and _ . ~ - (check for a stray newline or quote)`,
    );
  }
  const shared = resolveSharedOptions(options);
  const prefix =
    new URL(shared.base.href.replace(/\/+$/, "") + "/v1" + appPath).pathname;
  return { ...shared, appId, secretKey, prefix };
}
