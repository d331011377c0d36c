import { type Clock, systemClock } from "./clock.ts";
import {
  TalkJsApiError,
  TalkJsNetworkError,
  TalkJsTimeoutError,
} from "./errors.ts";
import { createLimiter, type Limiter } from "./limiter.ts";
import {
  isRetryableError,
  type RetryContext,
  type RetryOptions,
  withRetry,
} from "./retry.ts";
import {
  fail,
  isPositiveFinite,
  requireFunction,
  requireId,
  requireNumber,
  requireObject,
  requireOptions,
  requireWellFormed,
  show,
} from "./_validate.ts";
import { signJwt } from "./_jwt.ts";
import { addToChunk, inChunks } from "./resources/_chunks.ts";
import { encodeSegment, encodeSegments, parseRetryAfter } from "./_http.ts";
import type { BatchOperation, BatchResult } from "./types.ts";
import { createUsersResource, type UsersResource } from "./resources/users.ts";
import {
  type ConversationsResource,
  createConversationsResource,
} from "./resources/conversations.ts";
import {
  createParticipantsResource,
  type ParticipantsResource,
} from "./resources/participants.ts";
import {
  createMessagesResource,
  type MessagesResource,
} from "./resources/messages.ts";
import { createFilesResource, type FilesResource } from "./resources/files.ts";

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
  retry?: RetryOptions | false;
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
   * `TalkJsTimeoutError`, or the caller's abort reason.
   */
  error?: unknown;
  /** Milliseconds from sending to the end of the answer's body (or the failure). */
  durationMs: number;
  /** The answer's `Retry-After`, in milliseconds. */
  retryAfterMs?: number;
}

/** Options of {@linkcode TalkJsClient.batch}. */
export interface BatchOptions {
  /** Aborts the remaining chunks. */
  signal?: AbortSignal;
}

/** A TalkJS REST client. See {@linkcode createClient}. */
export interface TalkJsClient {
  /** The app this client talks to. */
  readonly appId: string;
  /**
   * Sends one request to `/v1/{appId}/{segments…}`, each segment URL-encoded,
   * and answers the parsed JSON body of a 200 answer.
   */
  request<T = unknown>(
    method: HttpMethod,
    segments: readonly string[],
    init?: RequestOptions,
  ): Promise<T>;
  /** Users: get, put, putMany, list, conversations. */
  readonly users: UsersResource;
  /** Conversations: get, put, delete, list, notify. */
  readonly conversations: ConversationsResource;
  /** Participants: put, patch, delete. */
  readonly participants: ParticipantsResource;
  /** Messages: get, list, send, import, edit, delete. */
  readonly messages: MessagesResource;
  /** Files: upload. */
  readonly files: FilesResource;
  /**
   * Runs operations through `POST /batch`, 10 per request, paced at one
   * request per second. Operations may run out of order within a chunk.
   */
  batch(
    operations: readonly BatchOperation[],
    options?: BatchOptions,
  ): Promise<BatchResult[]>;
}

const METHODS: ReadonlySet<string> = new Set([
  "GET",
  "PUT",
  "POST",
  "PATCH",
  "DELETE",
]);

function toJson(what: string, body: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(body);
  } catch (error) {
    throw new TypeError(
      `Cannot ${what} as 'body' is not JSON-serializable: ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
  if (text === undefined) {
    throw new TypeError(
      `Cannot ${what} as 'body' is not JSON-serializable: current value is ${
        show(body)
      }`,
    );
  }
  return text;
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

/**
 * Creates a TalkJS REST client: typed resources over one `request` function
 * that signs a fresh app token per request, paces itself to TalkJS's rate
 * limit and retries what is safe to retry.
 *
 * @param options App ID, secret key, and optional transport, retry, limiter and clock.
 * @returns The client.
 *
 * @example Against the in-memory emulator
 * ```ts
 * import { createClient } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({
 *   appId: emu.appId,
 *   secretKey: emu.secretKey,
 *   baseUrl: emu.baseUrl,
 *   fetch: emu.fetch,
 * });
 * await talk.users.put("alice", { name: "Alice" });
 * await talk.conversations.put("c1", { participants: ["alice"] });
 * await talk.messages.send("c1", { type: "UserMessage", sender: "alice", text: "Hi" });
 * const { data } = await talk.messages.list({ conversationId: "c1" });
 * console.log(data[0]?.text); // Hi
 * ```
 */
export function createClient(options: ClientOptions): TalkJsClient {
  const what = "create a TalkJS client";
  requireObject(what, "options", options);
  const {
    appId,
    secretKey,
    baseUrl = "https://api.talkjs.com",
    auth = "token",
    tokenTtlSeconds = 30,
    fetch: fetchFn = globalThis.fetch,
    timeoutMs = 30_000,
    retry = {},
    limiter: limiterOption,
    clock = systemClock,
    apiVersion,
    onRequest,
    onResponse,
  } = options;
  // Checked as a path segment: ".." would take every request outside /v1.
  const appPath = encodeSegment(what, "appId", appId);
  if (typeof secretKey !== "string" || !secretKey) {
    // The value is not shown: it may be a secret in the wrong place.
    throw new TypeError(
      `Cannot ${what} as 'secretKey' must be a non-empty string`,
    );
  }
  if (!/^[\w.~-]+$/.test(secretKey)) {
    // TalkJS's keys are sk_test_/sk_live_ and letters and digits. A pasted key
    // with a newline or space would fail in fetch, whose error quotes the
    // header (and so the key) back; a quote, backslash, "<" or "%" is escaped
    // by a server that echoes the key in JSON, HTML or a URL, and an escaped
    // key would get past redaction.
    throw new TypeError(
      `Cannot ${what} as 'secretKey' must hold only letters, digits and _ . ~ - (check for a stray newline or quote)`,
    );
  }
  requireId(what, "baseUrl", baseUrl);
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    fail(what, "baseUrl", "an absolute URL", baseUrl);
  }
  if (!/^https?:$/.test(base.protocol)) {
    fail(what, "baseUrl", "an http(s) URL", baseUrl);
  }
  if (base.username || base.password) {
    // Not shown: the credentials may be secret.
    throw new TypeError(
      `Cannot ${what} as 'baseUrl' must not have credentials`,
    );
  }
  if (base.search || base.hash) {
    throw new TypeError(
      `Cannot ${what} as 'baseUrl' must not have a query, fragment or credentials: current value is ${
        show(baseUrl)
      }`,
    );
  }
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
  requireFunction(what, "fetch", fetchFn);
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
  if (
    apiVersion !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(apiVersion))
  ) {
    fail(what, "apiVersion", `a date like "2021-02-09"`, apiVersion);
  }
  const limiter: Limiter | false = limiterOption === undefined
    ? createLimiter({ clock, key: appId })
    : limiterOption;
  if (
    limiter !== false &&
    (typeof limiter !== "object" || !limiter ||
      ["acquire", "schedule", "penalize"].some((name) =>
        typeof (limiter as unknown as Record<string, unknown>)[name] !==
          "function"
      ))
  ) {
    fail(
      what,
      "limiter",
      "a Limiter (acquire, schedule, penalize) or false",
      limiter,
    );
  }
  const prefix =
    new URL(base.href.replace(/\/+$/, "") + "/v1" + appPath).pathname;
  // Import the key and sign once now, so that the first request does not pay
  // for both after its limiter slot (a server counts arrivals, not slots). A
  // failure resurfaces on first use.
  if (auth === "token") {
    signJwt(appId, secretKey, clock.now(), tokenTtlSeconds).catch(() => {});
  }

  let hookFailed = false;
  const report = (error: unknown) => {
    if (hookFailed) return;
    hookFailed = true;
    console.error(
      "talkjs-rest: a request hook threw (reported once, ignored):",
      error,
    );
  };
  /** Calls a hook; whatever it throws (or rejects with) never reaches the request. */
  function emit<T>(hook: ((info: T) => void) | undefined, info: T): void {
    try {
      const result: unknown = hook?.(info);
      if (result instanceof Promise) result.catch(report);
    } catch (error) {
      report(error);
    }
  }

  const sign = (): Promise<string> =>
    auth === "token"
      ? signJwt(appId, secretKey, clock.now(), tokenTtlSeconds)
      : Promise.resolve(secretKey);

  async function attempt(
    method: HttpMethod,
    url: string,
    path: string,
    body: string | FormData | undefined,
    signal: AbortSignal | undefined,
    token: string,
    attemptNo: number,
    queuedMs: number,
  ): Promise<unknown> {
    const headers: Record<string, string> = {
      "Authorization": `Bearer ${token}`,
      "Accept": "application/json",
    };
    // A FormData's Content-Type, with its boundary, is fetch's to set.
    if (method !== "GET" && typeof body !== "object") {
      headers["Content-Type"] = "application/json";
    }
    if (apiVersion !== undefined) headers["TalkJS-REST-Version"] = apiVersion;

    const controller = new AbortController();
    const onAbort = () => controller.abort(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) onAbort();
    const timer = new AbortController();
    let timedOut = false;
    const event = { method, path, attempt: attemptNo };
    const answer: Partial<ResponseInfo> = {};
    emit(onRequest, { ...event, queuedMs });
    const sentAt = clock.now();
    clock.sleep(timeoutMs, timer.signal).then(() => {
      timedOut = true;
      controller.abort(new DOMException("timed out", "TimeoutError"));
    }, () => {});
    try {
      // A redirect is never followed: it would send the body and the token
      // to wherever TalkJS (or whoever answers) pointed, and a 303 would
      // turn a write into a GET that "succeeds".
      const init: RequestInit = {
        method,
        headers,
        signal: controller.signal,
        redirect: "manual",
      };
      if (body !== undefined) init.body = body;
      let response: Response;
      let text: string;
      try {
        response = await fetchFn(url, init);
        text = await response.text();
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (timedOut) {
          throw new TalkJsTimeoutError(method, path, timeoutMs, {
            cause: scrub(error, [secretKey, token]),
          });
        }
        throw new TalkJsNetworkError(
          method,
          path,
          scrub(error, [secretKey, token]),
        );
      }
      const { status } = response;
      answer.status = status;
      if (status !== 200) {
        text = redact(text, [secretKey, token]);
        const retryAfterMs = parseRetryAfter(
          response.headers.get("retry-after"),
          clock.now(),
        );
        if (retryAfterMs !== undefined) answer.retryAfterMs = retryAfterMs;
        // A /batch 429 is about /batch's own 1/s limit, not the app's budget;
        // a Retry-After beyond a minute is not allowed to freeze the client.
        if (status === 429 && limiter && path !== prefix + "/batch") {
          limiter.penalize(Math.min(retryAfterMs ?? 1000, 60_000));
        }
        // Browsers hide a manual redirect: status 0, type "opaqueredirect".
        const redirected = response.type === "opaqueredirect" ||
          (status > 299 && status < 400);
        throw new TalkJsApiError({
          status,
          method,
          path,
          body: parseBody(text),
          retryAfterMs,
          location: redirected
            ? redact(
              response.headers.get("location") ?? "(hidden by the runtime)",
              [secretKey, token],
            )
            : undefined,
        });
      }
      if (text.trim() === "" && method !== "GET") return {};
      try {
        return JSON.parse(text);
      } catch {
        throw new TalkJsApiError({
          status,
          method,
          path,
          body: redact(text, [secretKey, token]).slice(0, 2000),
        });
      }
    } catch (error) {
      // An answer's error holds its body: the status says enough.
      if (answer.status === undefined) answer.error = error;
      throw error;
    } finally {
      timer.abort();
      signal?.removeEventListener("abort", onAbort);
      emit(onResponse, {
        ...event,
        ...answer,
        durationMs: clock.now() - sentAt,
      });
    }
  }

  function request<T = unknown>(
    method: HttpMethod,
    segments: readonly string[],
    init: RequestOptions = {},
  ): Promise<T> {
    return send<T>(method, segments, init);
  }

  /** `request`, with every attempt (retries too) also paced by `pace`. */
  function send<T>(
    method: HttpMethod,
    segments: readonly string[],
    init: RequestOptions,
    pace?: Limiter,
  ): Promise<T> {
    const what = "send a request";
    try {
      if (!METHODS.has(method)) {
        fail(what, "method", "one of GET, PUT, POST, PATCH, DELETE", method);
      }
      requireObject(what, "init", init);
      const { query, body, signal, idempotent = method !== "POST" } = init;
      let path = prefix + encodeSegments(segments);
      if (query !== undefined) {
        const params = new URLSearchParams();
        for (
          const [name, value] of Object.entries(
            requireObject(what, "query", query),
          )
        ) {
          if (value === undefined) continue;
          if (!["string", "number", "boolean"].includes(typeof value)) {
            fail(what, `query.${name}`, "a string, number or boolean", value);
          }
          requireWellFormed(what, `query.${name}`, String(value));
          params.append(name, String(value));
        }
        const search = params.toString();
        if (search) path += "?" + search;
      }
      if (method === "GET" && body !== undefined) {
        throw new TypeError(
          `Cannot ${what} as 'body' must be undefined for GET`,
        );
      }
      const payload = body === undefined || body instanceof FormData
        ? body
        : toJson(`send ${method} ${path}`, body);
      if (signal !== undefined && !(signal instanceof AbortSignal)) {
        fail(what, "signal", "an AbortSignal", signal);
      }
      const url = base.origin + path;
      const once = (ctx: Partial<RetryContext>) => {
        const s = ctx.signal ?? signal;
        const queuedAt = clock.now();
        const run = async () => {
          const queuedMs = clock.now() - queuedAt;
          const token = await sign();
          return attempt(
            method,
            url,
            path,
            payload,
            s,
            token,
            ctx.attempt ?? 1,
            queuedMs,
          );
        };
        const limited = () => limiter ? limiter.schedule(run, s) : run();
        return pace ? pace.schedule(limited, s) : limited();
      };
      const signalOption = signal ? { signal } : {};
      if (retry === false) return once(signalOption) as Promise<T>;
      // Default: isRetryableError, which refuses anything but a TalkJsError.
      const shouldRetry = retry.shouldRetry ?? isRetryableError;
      return withRetry(once, {
        clock,
        ...retry,
        ...signalOption,
        // A POST that may have arrived runs again only when idempotent.
        shouldRetry: (error, n) =>
          (idempotent ||
            !(error instanceof TalkJsNetworkError ||
              error instanceof TalkJsTimeoutError)) && shouldRetry(error, n),
      }) as Promise<T>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // TalkJS takes one /batch request per second: one at a time, a second apart.
  const batchLimiter = createLimiter({
    burst: 1,
    perSecond: 1,
    concurrency: 1,
    clock,
    slackMs: 0,
  });
  async function batch(
    operations: readonly BatchOperation[],
    batchOptions?: BatchOptions,
  ): Promise<BatchResult[]> {
    const what = "run a batch";
    if (!Array.isArray(operations) || !operations.length) {
      fail(what, "operations", "a non-empty array", operations);
    }
    operations.forEach((op, i) => {
      const name = `operations[${i}]`;
      if (!Array.isArray(op) || op.length < 3 || op.length > 5) {
        fail(what, name, "[seq, method, path, payload?, options?]", op);
      }
      if (!METHODS.has(op[1])) {
        fail(what, name + "[1]", "an HTTP method", op[1]);
      }
      if (typeof op[2] !== "string" || !op[2].startsWith("/")) {
        fail(what, name + "[2]", `a path starting with "/"`, op[2]);
      }
      if (op.length >= 4) toJson(`${what} (${name})`, op[3]);
      if (op.length === 5 && (typeof op[4] !== "object" || !op[4])) {
        fail(what, name + "[4]", "an options object", op[4]);
      }
    });
    const { signal } = requireOptions(what, batchOptions);
    const results: BatchResult[] = [];
    try {
      await inChunks(operations, 10, "operations", async (ops) => {
        // Every attempt, retries too, takes its own /batch slot.
        const chunk = await send<BatchResult[]>(
          "POST",
          ["batch"],
          { body: ops, signal },
          batchLimiter,
        );
        if (!Array.isArray(chunk)) {
          throw new TalkJsApiError({
            status: 200,
            method: "POST",
            path: prefix + "/batch",
            body: chunk,
          });
        }
        results.push(...chunk);
      }, { before: "ran (their results are in error.chunk.results)" });
    } catch (error) {
      addToChunk(error, "results", results);
      throw error;
    }
    return results;
  }

  const client: TalkJsClient = {
    appId,
    request,
    users: createUsersResource(request),
    conversations: createConversationsResource(request),
    participants: createParticipantsResource(request),
    messages: createMessagesResource(request),
    files: createFilesResource(request),
    batch,
  };
  Object.defineProperty(client, "toString", {
    value: () => `TalkJsClient(${appId})`,
    enumerable: false,
  });
  return client;
}
