import { createLimiter, type Limiter } from "./limiter.ts";
import {
  TalkJsApiError,
  TalkJsNetworkError,
  TalkJsTimeoutError,
} from "./errors.ts";
import { retryAfter } from "./retry.ts";
import {
  fail,
  requireObject,
  requireOptions,
  requireSignal,
  requireWellFormed,
  show,
} from "./_validate.ts";
import { signJwt } from "./_jwt.ts";
import { inChunks } from "./resources/_chunks.ts";
import { encodeSegments } from "./_http.ts";
import type { BatchOperation, BatchResult, CallOptions } from "./types.ts";
import type {
  ClientOptions,
  Expect,
  HttpMethod,
  RequestFn,
  RequestOptions,
} from "./_types.ts";
import { type ClientConfig, resolveClientOptions } from "./_client_options.ts";
import { attempt, type AttemptConfig, type Call } from "./_attempt.ts";
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

export type {
  ClientOptions,
  HttpMethod,
  QueryValue,
  RequestInfo,
  RequestOptions,
  ResponseInfo,
} from "./_types.ts";

/** Options of {@linkcode TalkJsClient.batch}: `signal` aborts the remaining chunks. */
export type BatchOptions = CallOptions;

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

/** TalkJS takes one /batch request a second. */
const BATCH_INTERVAL_MS = 1000;

function toJson(what: string, body: unknown, name = "body"): string {
  let text: string | undefined;
  let cause: unknown;
  try {
    text = JSON.stringify(body);
  } catch (error) {
    cause = error;
  }
  if (text === undefined) {
    throw new TypeError(
      `Cannot ${what} as '${name}' is not JSON-serializable: ${
        cause ? (cause as Error).message : `current value is ${show(body)}`
      }`,
      cause ? { cause } : undefined,
    );
  }
  return text;
}

/** Checks a request's arguments and encodes it: path, query and body. */
function prepare(
  prefix: string,
  method: HttpMethod,
  segments: readonly string[],
  init: RequestOptions,
): Call {
  const what = "send a request";
  if (!METHODS.has(method)) {
    fail(what, "method", "one of GET, PUT, POST, PATCH, DELETE", method);
  }
  const { query, body, signal } = requireObject(what, "init", init);
  requireSignal(what, "signal", signal);
  let path = prefix + encodeSegments(segments);
  if (query !== undefined) {
    const params = new URLSearchParams();
    for (
      const [name, value] of Object.entries(requireObject(what, "query", query))
    ) {
      if (value === undefined) continue;
      if (!["string", "number", "boolean"].includes(typeof value)) {
        fail(what, `query.${name}`, "a string, number or boolean", value);
      }
      params.append(
        name,
        requireWellFormed(what, `query.${name}`, String(value)),
      );
    }
    const search = String(params);
    if (search) path += "?" + search;
  }
  if (method === "GET" && body !== undefined) {
    fail(what, "body", "undefined for GET", body);
  }
  return {
    method,
    path,
    body: body === undefined || body instanceof FormData
      ? body
      : toJson(`send ${method} ${path}`, body),
    signal: signal as AbortSignal | undefined,
    expect: undefined,
  };
}

/** Hooks' failures are reported once per client, then ignored. */
function hookEmitter(): AttemptConfig["emit"] {
  let hookFailed = false;
  const report = (error: unknown) => {
    if (hookFailed) return;
    hookFailed = true;
    try {
      console.error(
        "talkjs-rest: a request hook threw (reported once, ignored):",
        error,
      );
    } catch {
      // Logging must never break a request, whatever the hook threw.
    }
  };
  return function emit<T>(hook: ((info: T) => void) | undefined, info: T) {
    try {
      const result: unknown = hook?.(info);
      if (result instanceof Promise) result.catch(report);
    } catch (error) {
      report(error);
    }
  };
}

/**
 * One attempt of `call`, paced by `pace` (when given: /batch's own limiter),
 * then by the client's limiter. `pace` is held for a second from the moment
 * the request goes: a call that waited in the client's queue after its
 * /batch slot came went out late, and the next one, at the slot booked
 * before, followed it within the second (a /batch 429).
 */
function paced(
  config: AttemptConfig,
  call: Call,
  attemptNo: number,
  signal: AbortSignal | undefined,
  pace: Limiter | undefined,
): Promise<unknown> {
  const { limiter } = config;
  const run = runner(config, call, attemptNo);
  const send = pace ? () => (pace.penalize(BATCH_INTERVAL_MS), run()) : run;
  const limited = limiter ? () => limiter.schedule(send, signal) : send;
  return pace ? pace.schedule(limited, signal) : limited();
}

/**
 * The attempt, as a function for the limiter to run; it holds only what the
 * attempt needs, as it may wait long in a queue.
 */
function runner(
  config: AttemptConfig,
  call: Call,
  attemptNo: number,
): () => Promise<unknown> {
  const queuedAt = config.clock.now();
  return () => attempt(config, call, attemptNo, config.clock.now() - queuedAt);
}

/**
 * Sends `call` with retries as `config.retry` allows, every attempt paced by
 * the client's limiter and, when given, by `pace` too.
 */
function sendCall(
  config: AttemptConfig,
  call: Call,
  idempotent: boolean,
  pace: Limiter | undefined,
): Promise<unknown> {
  const { retry } = config;
  const { signal } = call;
  // The first attempt, then the retry loop only once it failed: until
  // then, a call queued behind the limiter holds one handler, not a loop.
  // A custom limiter may answer something other than a promise, or throw:
  // a rejection the retry policy sees, as it does on any later attempt.
  let first: Promise<unknown>;
  try {
    first = Promise.resolve(paced(config, call, 1, signal, pace));
  } catch (error) {
    first = Promise.reject(error);
  }
  if (retry === false) return first;
  return first.catch((error) =>
    retryAfter(
      error,
      (ctx) => paced(config, call, ctx.attempt, ctx.signal, pace),
      retry,
      signal,
      // A POST that may have arrived (no answer: a network error or a
      // timeout) runs again only when idempotent; one answered 200 (a body
      // not as expected) surely ran.
      idempotent
        ? retry.shouldRetry
        : (error, n) =>
          !(error instanceof TalkJsNetworkError ||
            error instanceof TalkJsTimeoutError ||
            (error instanceof TalkJsApiError && error.status === 200)) &&
          retry.shouldRetry(error, n),
    )
  );
}

/** Checks a batch's operations before anything is sent. */
function checkOperations(operations: readonly BatchOperation[]): void {
  const what = "run a batch";
  if (!Array.isArray(operations) || !operations.length) {
    fail(what, "operations", "a non-empty array", operations);
  }
  operations.forEach((op, i) => {
    const name = `operations[${i}]`;
    if (!Array.isArray(op) || op.length < 3 || op.length > 5) {
      fail(what, name, "[seq, method, path, payload?, options?]", op);
    }
    const [, method, path, payload, options] = op;
    if (!METHODS.has(method)) {
      fail(what, name + "[1]", "an HTTP method", method);
    }
    if (typeof path !== "string" || path[0] !== "/") {
      fail(what, name + "[2]", `a path starting with "/"`, path);
    }
    if (op.length > 3) toJson(what, payload, name + "[3]");
    if (op.length > 4 && (typeof options !== "object" || !options)) {
      fail(what, name + "[4]", "an options object", options);
    }
  });
}

/** `batch()`: `POST /batch`, 10 operations a request, one request a second. */
function batchFn(
  send: (init: RequestOptions, pace: Limiter) => Promise<unknown>,
  clock: ClientConfig["clock"],
): TalkJsClient["batch"] {
  // TalkJS takes one /batch request per second: one at a time, a second apart.
  const batchLimiter = createLimiter({
    burst: 1,
    perSecond: 1000 / BATCH_INTERVAL_MS,
    concurrency: 1,
    clock,
    slackMs: 0,
  });
  return async function batch(operations, options) {
    checkOperations(operations);
    const { signal } = requireOptions("run a batch", options);
    const results: BatchResult[] = [];
    await inChunks(operations, 10, "operations", async (ops) => {
      // Every attempt, retries too, takes its own /batch slot.
      results.push(
        ...await send({ body: ops, signal }, batchLimiter) as BatchResult[],
      );
    }, {
      before: "ran (their results are in error.chunk.results)",
      lists: { results },
    });
    return results;
  };
}

const isArray: Expect = (body) => Array.isArray(body) ? undefined : "an array";

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
  const resolved = resolveClientOptions(options);
  const { appId, secretKey, clock, prefix } = resolved;
  const config: AttemptConfig = {
    ...resolved,
    limiter: resolved.limiter ?? createLimiter({ clock, key: appId }),
    emit: hookEmitter(),
  };
  // Import the key and sign once now, so that the first request does not pay
  // for both after its limiter slot (a server counts arrivals, not slots). A
  // failure resurfaces on first use.
  if (config.auth === "token") {
    signJwt(appId, secretKey, clock.now(), config.tokenTtlSeconds)
      .catch(() => {});
  }

  /** `request`, with every attempt (retries too) also paced by `pace`, and each answer checked by `expect`. */
  function send(
    method: HttpMethod,
    segments: readonly string[],
    init: RequestOptions = {},
    expect?: Expect,
    pace?: Limiter,
  ): Promise<unknown> {
    try {
      const call = prepare(prefix, method, segments, init);
      call.expect = expect;
      return sendCall(config, call, init.idempotent ?? method !== "POST", pace);
    } catch (error) {
      // A bad argument: a rejection, as from any other call that returns
      // a promise.
      return Promise.reject(error);
    }
  }
  const request = send as RequestFn;

  const client: TalkJsClient = {
    appId,
    request: (method, segments, init) => request(method, segments, init),
    users: createUsersResource(request),
    conversations: createConversationsResource(request),
    participants: createParticipantsResource(request),
    messages: createMessagesResource(request),
    files: createFilesResource(request),
    batch: batchFn(
      (init, pace) => send("POST", ["batch"], init, isArray, pace),
      clock,
    ),
  };
  Object.defineProperty(client, "toString", {
    value: () => `TalkJsClient(${appId})`,
    enumerable: false,
  });
  return client;
}
