// Types shared by the client, its attempt and the resources: the lowest
// file that needs them, so that no two files import each other.
import type { Clock } from "./clock.ts";
import type { Limiter } from "./limiter.ts";
import type { RetryOptions } from "./retry.ts";

/** An HTTP method the TalkJS REST API uses. */
export type HttpMethod = "GET" | "PUT" | "POST" | "PATCH" | "DELETE";

/** A query string value; `undefined` leaves the parameter out. */
export type QueryValue = string | number | boolean | undefined;

/** Per-call options of {@linkcode TalkJsClient.request}. */
export interface RequestOptions {
  /** Query parameters; `undefined` values are left out. */
  query?: Record<string, QueryValue>;
  /**
   * The body, for every method but GET: sent as JSON, except a `FormData`,
   * sent as multipart (fetch sets its boundary).
   */
  body?: unknown;
  /** Aborts the call, including its retries and waits. An abort is never retried. */
  signal?: AbortSignal | undefined;
  /**
   * Whether the call may safely run twice: a POST is retried after a network
   * failure or timeout only when this is `true`. Other methods are idempotent.
   * @default {method !== "POST"}
   */
  idempotent?: boolean;
}

/**
 * Checks a 200 answer's body: answers what was expected when the body is
 * not it (e.g. `{ id: string }`), else `undefined`.
 */
export type Expect = (body: unknown) => string | undefined;

/**
 * The request function resources are built on: the client's `request`, plus
 * a check of the answer (a failed one is a `TALKJS_UNEXPECTED_ANSWER` error
 * naming the request's real path).
 */
export type RequestFn = <T = unknown>(
  method: HttpMethod,
  segments: readonly string[],
  init?: RequestOptions,
  expect?: Expect,
) => Promise<T>;

/** Options of {@linkcode createClient}. */
export interface ClientOptions {
  /** Your TalkJS app ID. */
  appId: string;
  /** Your TalkJS secret key. It signs tokens and never appears in an error, log line or `toString()`. */
  secretKey: string;
  /**
   * Where the API lives; the emulator's `baseUrl` in tests. `undefined` is
   * the default, so `baseUrl: process.env.TALKJS_BASE_URL` works.
   * @default {"https://api.talkjs.com"}
   */
  baseUrl?: string | undefined;
  /**
   * `"token"` signs a fresh HS256 app token per request; `"secret-key"` sends
   * the secret key itself (TalkJS's legacy scheme).
   * @default {"token"}
   */
  auth?: "token" | "secret-key";
  /**
   * Lifetime of each app token, in seconds.
   * @default {30}
   */
  tokenTtlSeconds?: number;
  /**
   * The transport. Tests, the emulator, logging and proxies plug in here.
   * @default {globalThis.fetch}
   */
  fetch?: typeof fetch;
  /**
   * Limit of each attempt, in milliseconds, body included.
   * @default {30_000}
   */
  timeoutMs?: number;
  /**
   * Retry policy, or `false` for none. By default 429, 5xx, network failures
   * and timeouts are retried 3 times with jittered backoff; a POST only when
   * idempotent.
   * @default {{}}
   */
  retry?: Omit<RetryOptions, "signal"> | false;
  /**
   * Paces requests to TalkJS's rate limit, or `false` for no pacing.
   * @default {createLimiter()}
   */
  limiter?: Limiter | false;
  /**
   * Time source for tokens, timeouts, retries and the limiter.
   * @default {systemClock}
   */
  clock?: Clock;
  /** Sent as `TalkJS-REST-Version`, e.g. `"2021-02-09"`. */
  apiVersion?: string;
  /**
   * Called as each attempt (a retry too) is sent, after its wait in the
   * limiter. For logs and metrics: a hook that throws is reported once to
   * `console.error` and otherwise ignored.
   */
  onRequest?: (info: RequestInfo) => void;
  /** Called as each attempt ends, answered or not. Never holds a token, the key or a body. */
  onResponse?: (info: ResponseInfo) => void;
}

/** What {@linkcode ClientOptions.onRequest} is told about an attempt as it is sent. */
export interface RequestInfo {
  /** The HTTP method. */
  method: HttpMethod;
  /** The path and query, as in errors: `/v1/{appId}/users/u1`. */
  path: string;
  /** 1 for the first attempt of a call, 2 for its first retry. */
  attempt: number;
  /** Milliseconds the attempt waited in the limiter before it was sent. */
  queuedMs: number;
}

/** What {@linkcode ClientOptions.onResponse} is told about an attempt once it ended. */
export interface ResponseInfo {
  /** The HTTP method. */
  method: HttpMethod;
  /** The path and query, as in errors: `/v1/{appId}/users/u1`. */
  path: string;
  /** 1 for the first attempt of a call, 2 for its first retry. */
  attempt: number;
  /** The answer's status; absent when there was no answer (a network failure, a timeout, an abort). */
  status?: number;
  /**
   * Why an attempt without an answer failed: a `TalkJsNetworkError`, a
   * `TalkJsTimeoutError`, or the caller's abort reason; with status 200, the
   * `TALKJS_UNEXPECTED_ANSWER` error of an answer that is not JSON or not
   * what the endpoint answers, without its `body` (no event holds a body).
   */
  error?: unknown;
  /** Milliseconds from sending to the end of the answer's body (or the failure). */
  durationMs: number;
  /** The answer's `Retry-After`, in milliseconds. */
  retryAfterMs?: number;
}
