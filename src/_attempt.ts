// One attempt of a request: sign, headers, timeout, fetch, parse, redact.
import {
  TalkJsApiError,
  TalkJsNetworkError,
  TalkJsTimeoutError,
} from "./errors.ts";
import type { Limiter } from "./limiter.ts";
import type { ClientConfig } from "./_client_options.ts";
import type { Expect, HttpMethod, ResponseInfo } from "./_types.ts";
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from "./_http.ts";
import { signJwt } from "./_jwt.ts";
import { show } from "./_validate.ts";
import { type Clock, systemClock } from "./clock.ts";

/** A request, checked and encoded, as each of its attempts sends it. */
export interface Call {
  method: HttpMethod;
  /** The path and query, as in errors: `/v1/{appId}/users/u1`. */
  path: string;
  body: string | FormData | undefined;
  signal: AbortSignal | undefined;
  /** Checks a 200 answer's parsed body; a failed check is a `TALKJS_UNEXPECTED_ANSWER`. */
  expect?: Expect | undefined;
}

/** What every attempt of a client shares. */
export interface AttemptConfig extends ClientConfig {
  limiter: Limiter | false;
  /** Calls a hook; whatever it throws never reaches the request. */
  emit<T>(hook: ((info: T) => void) | undefined, info: T): void;
}

function redact(text: string, secrets: readonly string[]): string {
  for (const secret of secrets) {
    if (secret) text = text.replaceAll(secret, "[redacted]");
  }
  return text;
}

/**
 * A stand-in for the original failure as `cause`: a fresh Error whose message
 * is the original's name and message (`"TypeError: …"`), redacted, and
 * nothing else. The original may hold the token elsewhere: a runtime's fetch
 * quotes a bad header back, and a fetch wrapper's error may keep the
 * request's options, headers and all (ofetch's `FetchError` does).
 */
function scrub(error: unknown, secrets: readonly string[]): Error {
  let text: string;
  try {
    text = String(error);
  } catch {
    text = typeof error;
  }
  return new Error(redact(text, secrets));
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function headersFor(
  config: AttemptConfig,
  { method, body }: Call,
  token: string,
): Record<string, string> {
  const headers: Record<string, string> = {
    "Authorization": `Bearer ${token}`,
    "Accept": "application/json",
  };
  // A FormData's Content-Type, with its boundary, is fetch's to set.
  if (method !== "GET" && typeof body !== "object") {
    headers["Content-Type"] = "application/json";
  }
  if (config.apiVersion !== undefined) {
    headers["TalkJS-REST-Version"] = config.apiVersion;
  }
  return headers;
}

/**
 * Arms an attempt's timeout and answers its cancel. On the real clock a bare
 * timer (within setTimeout's range): a `sleep`, its listener and the abort
 * that cancels it were the client's largest cost of its own in a profile of
 * the overhead bench.
 */
function armTimeout(
  clock: Clock,
  ms: number,
  onTimeout: () => void,
): () => void {
  // At most 2^31 - 1: a longer delay (2^31 - 0.5 too) fires at once.
  if (clock === systemClock && ms <= 0x7fffffff) {
    const id = setTimeout(onTimeout, ms);
    return () => clearTimeout(id);
  }
  const timer = new AbortController();
  clock.sleep(ms, timer.signal).then(onTimeout, () => {});
  // With a reason: abort() without one builds a DOMException, stack and
  // all, for every request (about 5% of the client's CPU in a profile).
  return () => timer.abort("settled");
}

/** A fresh app token, or the key itself for `auth: "secret-key"`. */
function tokenFor(config: AttemptConfig): Promise<string> | string {
  const { appId, secretKey, clock, tokenTtlSeconds } = config;
  return config.auth === "token"
    ? signJwt(appId, secretKey, clock.now(), tokenTtlSeconds)
    : secretKey;
}

/** The error for an answer other than 200, after penalizing the limiter on a 429. */
function apiError(
  config: AttemptConfig,
  { method, path }: Call,
  response: Response,
  text: string,
  secrets: string[],
  answer: Partial<ResponseInfo>,
): TalkJsApiError {
  const { status } = response;
  const retryAfterMs = parseRetryAfter(
    response.headers.get("retry-after"),
    config.clock.now(),
  );
  if (retryAfterMs !== undefined) answer.retryAfterMs = retryAfterMs;
  // A /batch 429 is about /batch's own 1/s limit, not the app's budget;
  // a Retry-After beyond a minute is not allowed to freeze the client.
  if (status === 429 && config.limiter && path !== config.prefix + "/batch") {
    config.limiter.penalize(
      Math.min(retryAfterMs ?? 1000, MAX_RETRY_AFTER_MS),
    );
  }
  // Browsers hide a manual redirect: status 0, type "opaqueredirect".
  const redirected = response.type === "opaqueredirect" ||
    (status > 299 && status < 400);
  return new TalkJsApiError({
    status,
    method,
    path,
    body: parseBody(redact(text, secrets)),
    retryAfterMs,
    location: redirected
      ? redact(
        response.headers.get("location") ?? "(hidden by the runtime)",
        secrets,
      )
      : undefined,
  });
}

/**
 * The parsed body of a 200 answer, checked by `call.expect`: a 200 without
 * what the endpoint answers is no success, never handed on as one.
 */
function parseAnswer(call: Call, text: string, secrets: string[]): unknown {
  const { method, path, expect } = call;
  const unexpected = (expected: string, body: string) =>
    new TalkJsApiError({ status: 200, method, path, body, expected });
  let body: unknown = {};
  // A GET's answer is always parsed: no need to look for an empty one.
  if (method === "GET" || text.trim() !== "") {
    try {
      body = JSON.parse(text);
    } catch {
      throw unexpected("JSON", redact(text, secrets).slice(0, 2000));
    }
  }
  const expected = expect?.(body);
  if (expected === undefined) return body;
  // Redacted before show() shortens it: a key cut in two would get past.
  const shown = show(typeof body === "string" ? redact(body, secrets) : body);
  throw unexpected(expected, `expected ${expected}, got ${shown}`);
}

/** A copy of an answer's error for the hooks, which see no body. */
function withoutBody(error: unknown): TalkJsApiError {
  const copy = Object.create(
    TalkJsApiError.prototype,
    Object.getOwnPropertyDescriptors(error),
  );
  return Object.assign(copy, { body: undefined });
}

/**
 * Sends one attempt of `call` and answers the parsed body of a 200 answer.
 * Fails with a `TalkJsApiError` (another status, or a 200 that is not JSON),
 * a `TalkJsNetworkError`, a `TalkJsTimeoutError`, or the caller's abort
 * reason; never with the key or the token in it. Tells the hooks.
 */
export async function attempt(
  config: AttemptConfig,
  call: Call,
  attemptNo: number,
  queuedMs: number,
): Promise<unknown> {
  const { clock, secretKey, timeoutMs, emit } = config;
  const { method, path, body, signal } = call;
  signal?.throwIfAborted();
  const token = await tokenFor(config);
  const secrets = [secretKey, token];
  // The fetch's signal: aborted by the caller's signal or the timeout.
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal!.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) onAbort();
  let timedOut = false;
  const event = { method, path, attempt: attemptNo };
  const answer: Partial<ResponseInfo> = {};
  // The events are built only for a hook that is there to take them.
  if (config.onRequest) emit(config.onRequest, { ...event, queuedMs });
  const sentAt = clock.now();
  const cancelTimeout = armTimeout(clock, timeoutMs, () => {
    timedOut = true;
    controller.abort(new DOMException("timed out", "TimeoutError"));
  });
  try {
    // A redirect is never followed: it would send the body and the token
    // to wherever TalkJS (or whoever answers) pointed, and a 303 would
    // turn a write into a GET that "succeeds".
    const init: RequestInit = {
      method,
      headers: headersFor(config, call, token),
      signal: controller.signal,
      redirect: "manual",
    };
    if (body !== undefined) init.body = body;
    let response: Response;
    let text: string;
    try {
      // Called bare, as workerd's fetch must be: never as config.fetch(…).
      const { fetch } = config;
      response = await fetch(config.base.origin + path, init);
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const cause = scrub(error, secrets);
      throw timedOut
        ? new TalkJsTimeoutError({ method, path, timeoutMs, cause })
        : new TalkJsNetworkError({ method, path, cause });
    }
    answer.status = response.status;
    if (response.status !== 200) {
      throw apiError(config, call, response, text, secrets, answer);
    }
    return parseAnswer(call, text, secrets);
  } catch (error) {
    // An answer's status says enough, but for a 200 that is not what the
    // endpoint answers: its error, without the body (hooks log, and no
    // body goes into a log).
    if (answer.status === undefined) answer.error = error;
    if (answer.status === 200) answer.error = withoutBody(error);
    throw error;
  } finally {
    cancelTimeout();
    signal?.removeEventListener("abort", onAbort);
    if (config.onResponse) {
      emit(config.onResponse, {
        ...event,
        ...answer,
        durationMs: clock.now() - sentAt,
      });
    }
  }
}
