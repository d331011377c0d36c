import { type Clock, systemClock } from "./clock.ts";
import {
  TalkJsApiError,
  TalkJsNetworkError,
  TalkJsTimeoutError,
} from "./errors.ts";
import { MAX_RETRY_AFTER_MS } from "./_http.ts";
import {
  fail,
  isCount,
  requireClock,
  requireFunction,
  requireNumber,
  requirePositive,
  requireSignal,
} from "./_validate.ts";

/**
 * What {@linkcode withRetry} passes to each call of the retried function.
 */
export interface RetryContext {
  /** Which attempt this is: 1 for the first call, 2 for the first retry. */
  attempt: number;
  /** The caller's signal, to pass on to whatever the attempt waits for. */
  signal?: AbortSignal;
}

/**
 * What {@linkcode RetryOptions.onRetry} is told before each wait.
 */
export interface RetryInfo {
  /** The attempt that failed: 1 for the first call. */
  attempt: number;
  /** How long `withRetry` waits before the next attempt, in milliseconds. */
  delayMs: number;
  /** What the failed attempt threw. */
  error: unknown;
}

/**
 * How {@linkcode withRetry} retries.
 */
export interface RetryOptions {
  /**
   * How many times to retry after the first attempt (so at most `retries + 1`
   * calls). A non-negative integer, or `Infinity`.
   * @default {3}
   */
  retries?: number;
  /**
   * The shortest wait between two attempts, in milliseconds.
   * @default {250}
   */
  minDelayMs?: number;
  /**
   * The longest wait between two attempts, in milliseconds. An error's
   * `retryAfterMs` (a 429's `Retry-After`) may exceed it: it is the floor of
   * the next wait.
   * @default {20_000}
   */
  maxDelayMs?: number;
  /**
   * The longest `retryAfterMs` (a 429's `Retry-After`) that is waited for, in
   * milliseconds. An error asking for a longer wait is thrown at once, so a
   * call never hangs on a day-long Retry-After (the client's limiter caps its
   * hold after a 429 at 60 s too). `Infinity` waits for any.
   * @default {60_000}
   */
  maxRetryAfterMs?: number;
  /**
   * Growth of the upper bound of the wait: before retry `n` it is
   * `min(maxDelayMs, minDelayMs × factor^(n−1))`.
   * @default {2}
   */
  factor?: number;
  /**
   * `"full"`: each wait is uniformly random between `minDelayMs` and the
   * upper bound, so that many clients do not retry in step. `"none"`: each
   * wait is the upper bound.
   * @default {"full"}
   */
  jitter?: "full" | "none";
  /**
   * Decides whether a failure is worth another attempt, given the error and
   * the attempt that failed (1 for the first call).
   * @default {isRetryableError}
   */
  shouldRetry?: (error: unknown, attempt: number) => boolean;
  /**
   * Called before each wait, e.g. to log. What it throws ends the retries.
   * @default {undefined}
   */
  onRetry?: (info: RetryInfo) => void;
  /**
   * Stops the retries: an abort ends a wait at once and `withRetry` rejects
   * with `signal.reason`. Passed on to every attempt as `ctx.signal`.
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Where waits happen. Pass a manual clock in tests.
   * @default {systemClock}
   */
  clock?: Clock;
  /**
   * Source of randomness for `"full"` jitter: numbers in `[0, 1)`. Pass a
   * seeded generator for reproducible waits.
   * @default {Math.random}
   */
  random?: () => number;
}

/**
 * The default {@linkcode RetryOptions.shouldRetry}: `true` for what a later
 * attempt may fix (a {@linkcode TalkJsApiError} with status 429 or 5xx, a
 * {@linkcode TalkJsNetworkError}, a {@linkcode TalkJsTimeoutError}), `false`
 * for anything else, including 400, 401, 404 and aborts.
 *
 * @param error What an attempt threw.
 * @returns Whether another attempt may succeed.
 *
 * @example Tell transient failures from permanent ones
 * ```ts
 * import { isRetryableError, TalkJsApiError } from "@unofficial/talkjs-rest";
 *
 * const busy = new TalkJsApiError({ status: 429, method: "GET", path: "/v1/app/users", body: {} });
 * const missing = new TalkJsApiError({ status: 404, method: "GET", path: "/v1/app/users/u1", body: {} });
 * console.log(isRetryableError(busy)); // true
 * console.log(isRetryableError(missing)); // false
 * ```
 */
export function isRetryableError(error: unknown): boolean {
  if (error instanceof TalkJsApiError) {
    return error.status === 429 || error.status >= 500;
  }
  return error instanceof TalkJsNetworkError ||
    error instanceof TalkJsTimeoutError;
}

/**
 * Calls `fn` until it succeeds, retrying failures that `shouldRetry` accepts
 * with exponential backoff and jitter, at most `retries` times. After the
 * last attempt the last error is rethrown unchanged (same object), so
 * `instanceof` still works. An abort of `signal` stops everything at once
 * with `signal.reason`.
 *
 * @param fn The operation; `ctx.attempt` is 1 for the first call.
 * @param options Retry count, delays, jitter, predicate, signal and clock.
 * @returns What `fn` resolved to.
 *
 * @example Retry a flaky operation
 * ```ts
 * import { TalkJsNetworkError, withRetry } from "@unofficial/talkjs-rest";
 *
 * const answer = await withRetry(({ attempt }) => {
 *   if (attempt < 3) throw new TalkJsNetworkError({ method: "GET", path: "/v1/app/users", cause: new TypeError("reset") });
 *   return Promise.resolve(`ok after ${attempt} attempts`);
 * }, { minDelayMs: 1, maxDelayMs: 5 });
 * console.log(answer); // ok after 3 attempts
 * ```
 *
 * @example Retry only rate limits, with short fixed waits, logging each retry
 * ```ts
 * import { TalkJsApiError, withRetry } from "@unofficial/talkjs-rest";
 *
 * const busy = new TalkJsApiError({ status: 429, method: "GET", path: "/v1/app/users", body: {} });
 * let calls = 0;
 * await withRetry(() => {
 *   calls++;
 *   return Promise.reject(busy);
 * }, {
 *   retries: 2,
 *   minDelayMs: 1,
 *   maxDelayMs: 4,
 *   jitter: "none",
 *   shouldRetry: (error) => error instanceof TalkJsApiError && error.status === 429,
 *   onRetry: ({ attempt, delayMs, error }) =>
 *     console.log(`attempt ${attempt} failed (${(error as Error).message}), retrying in ${delayMs} ms`),
 * }).catch((error) => console.log(error === busy, calls));
 * // attempt 1 failed (Request failed with status 429: GET /v1/app/users), retrying in 1 ms
 * // attempt 2 failed (Request failed with status 429: GET /v1/app/users), retrying in 2 ms
 * // true 3
 * ```
 *
 * @example Hand the signal on to each attempt
 * ```ts
 * import { TalkJsNetworkError, withRetry } from "@unofficial/talkjs-rest";
 *
 * const controller = new AbortController();
 * const answer = await withRetry(({ attempt, signal }) => {
 *   signal?.throwIfAborted(); // or pass it to fetch
 *   if (attempt === 1) throw new TalkJsNetworkError({ method: "GET", path: "/v1/app/users", cause: new TypeError("reset") });
 *   return Promise.resolve(`loaded on attempt ${attempt}`);
 * }, { minDelayMs: 1, maxDelayMs: 1, signal: controller.signal });
 * console.log(answer); // loaded on attempt 2
 * ```
 */
export async function withRetry<T>(
  fn: (ctx: RetryContext) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  requireFunction("retry", "fn", fn);
  const policy = resolveRetryOptions(options);
  const { signal } = options;
  requireSignal("retry", "signal", signal);
  try {
    signal?.throwIfAborted();
    return await fn(context(1, signal));
  } catch (error) {
    return await retryAfter(error, fn, policy, signal, policy.shouldRetry);
  }
}

/** {@linkcode RetryOptions} with every default filled in and checked. */
export type RetryPolicy =
  & Required<
    Omit<RetryOptions, "onRetry" | "signal">
  >
  & { onRetry: RetryOptions["onRetry"] | undefined };

/**
 * Checks retry options once and fills in the defaults (the client does it
 * when it is created, not on every request). Throws a TypeError or
 * RangeError naming a bad option.
 */
export function resolveRetryOptions(
  options: unknown,
  what = "retry",
  of = "",
): RetryPolicy {
  if (typeof options !== "object" || !options) {
    fail(what, "options", "an object", options);
  }
  const {
    retries = 3,
    minDelayMs = 250,
    maxDelayMs = 20_000,
    maxRetryAfterMs = MAX_RETRY_AFTER_MS,
    factor = 2,
    jitter = "full",
    shouldRetry = isRetryableError,
    onRetry,
    clock = systemClock,
    random = Math.random,
  } = options as RetryOptions;
  requireNumber(
    what,
    of + "retries",
    retries,
    "a non-negative integer or Infinity",
    isCount,
  );
  requirePositive(what, of + "minDelayMs", minDelayMs, true);
  requireNumber(
    what,
    of + "maxRetryAfterMs",
    maxRetryAfterMs,
    "a non-negative number or Infinity",
    (n) => n >= 0,
  );
  requireNumber(
    what,
    of + "maxDelayMs",
    maxDelayMs,
    `a finite number >= minDelayMs (${minDelayMs})`,
    (n) => isFinite(n) && n >= minDelayMs,
  );
  requireNumber(
    what,
    of + "factor",
    factor,
    "a finite number >= 1",
    (n) => isFinite(n) && n >= 1,
  );
  if (jitter !== "full" && jitter !== "none") {
    fail(
      what,
      of + "jitter",
      `"full" or "none"`,
      jitter,
      typeof jitter === "string" ? RangeError : TypeError,
    );
  }
  requireFunction(what, of + "shouldRetry", shouldRetry);
  requireFunction(what, of + "onRetry", onRetry, true);
  requireFunction(what, of + "random", random);
  requireClock(what, of + "clock", clock);
  return {
    retries,
    minDelayMs,
    maxDelayMs,
    maxRetryAfterMs,
    factor,
    jitter,
    shouldRetry,
    onRetry,
    clock,
    random,
  };
}

/** The wait before the retry after attempt `attempt` failed with `error`; `undefined`: do not wait, rethrow. */
function delayFor(
  policy: RetryPolicy,
  attempt: number,
  error: unknown,
): number | undefined {
  const { minDelayMs, maxDelayMs, factor, jitter, random } = policy;
  const upper = Math.min(maxDelayMs, minDelayMs * factor ** (attempt - 1));
  const delayMs = jitter === "none"
    ? upper
    : minDelayMs + random() * (upper - minDelayMs);
  const retryAfterMs = (error as { retryAfterMs?: number } | null)
    ?.retryAfterMs;
  // A 429's Retry-After is the floor of the next wait, up to a limit.
  if (!Number.isFinite(retryAfterMs) || retryAfterMs! <= delayMs) {
    return delayMs;
  }
  return retryAfterMs! > policy.maxRetryAfterMs ? undefined : retryAfterMs;
}

function context(attempt: number, signal: AbortSignal | undefined) {
  return signal ? { attempt, signal } : { attempt };
}

/**
 * The retry loop of {@linkcode withRetry} and of the client, over a policy
 * already checked, once the first attempt failed with `error`: waits,
 * retries, and rethrows the last error unchanged. `shouldRetry` overrides
 * the policy's (the client narrows it per request). The client starts its
 * first attempt outside any async function, so that a call waiting for its
 * limiter slot holds a promise, not a suspended frame.
 */
export async function retryAfter<T>(
  error: unknown,
  fn: (ctx: RetryContext) => Promise<T>,
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  shouldRetry: RetryPolicy["shouldRetry"],
): Promise<T> {
  for (let attempt = 1;; attempt++) {
    // Whatever an aborted attempt threw, the caller asked to stop.
    signal?.throwIfAborted();
    if (attempt > policy.retries || !shouldRetry(error, attempt)) throw error;
    const delayMs = delayFor(policy, attempt, error);
    if (delayMs === undefined) throw error;
    policy.onRetry?.({ attempt, delayMs, error });
    await policy.clock.sleep(delayMs, signal);
    try {
      signal?.throwIfAborted();
      return await fn(context(attempt + 1, signal));
    } catch (next) {
      error = next;
    }
  }
}
