import { Hono } from "hono";
import { jwtVerify } from "jose";
import { type Clock, systemClock } from "../clock.ts";
import type { Conversation, Message, User } from "../types.ts";
import { createFaultQueue, cutOff } from "./_faults.ts";
import { errorResponse, json } from "./_http.ts";
import { createRateLimit, type RateLimit } from "./_rate_limit.ts";
import { createRouter, MAX_FILE_BYTES, type RouteMatch } from "./_routes.ts";
import { createStore } from "./_store.ts";
import { readCapped } from "../_read_capped.ts";
import { isApiVersion, LATEST_API_VERSION } from "./_versions.ts";
import { createPresence, type EmulatorPresence } from "./_presence.ts";
import {
  createWebhooks,
  type EmulatorSimulate,
  type EmulatorWebhookOptions,
  type EmulatorWebhooks,
  resolveWebhookOptions,
} from "./_webhooks.ts";

export type { EmulatorPresence, EmulatorSessions } from "./_presence.ts";
export type {
  EmulatorSimulate,
  EmulatorWebhookOptions,
  EmulatorWebhooks,
  SimulateNotificationOptions,
  WebhookDelivery,
} from "./_webhooks.ts";

/**
 * The emulator's rate limit: a token bucket of `burst` requests refilling
 * `perSecond`, with up to `queue` requests held until capacity frees.
 *
 * @example A small limit that refuses the third request in a row
 * ```ts
 * import { createEmulator, type EmulatorRateLimit } from "@unofficial/talkjs-rest/testing";
 *
 * const rateLimit: EmulatorRateLimit = { burst: 2, perSecond: 1 };
 * const emu = createEmulator({ rateLimit });
 * const url = `${emu.baseUrl}/v1/${emu.appId}/users`;
 * const auth = { authorization: `Bearer ${emu.secretKey}` };
 * const statuses = [];
 * for (let i = 0; i < 3; i++) statuses.push((await emu.fetch(url, { headers: auth })).status);
 * console.log(statuses); // [ 200, 200, 429 ]
 * ```
 */
export interface EmulatorRateLimit {
  /** Requests answered at once from a full bucket. */
  burst: number;
  /** Requests per second the bucket refills. */
  perSecond: number;
  /**
   * Requests held (answered late, not refused) once the bucket is empty.
   * @default {0}
   */
  queue?: number;
}

/**
 * Options of {@linkcode createEmulator}.
 *
 * @example An emulator with its own app ID and no rate limit
 * ```ts
 * import { createEmulator, type EmulatorOptions } from "@unofficial/talkjs-rest/testing";
 *
 * const options: EmulatorOptions = { appId: "tMyApp", rateLimit: false };
 * console.log(createEmulator(options).appId); // tMyApp
 * ```
 */
export interface EmulatorOptions {
  /**
   * The app ID every path must carry: `/v1/{appId}/...`.
   * @default {"tEmulator"}
   */
  appId?: string;
  /**
   * Signs and checks app tokens; also accepted as a legacy bearer token.
   * @default {"sk_test_emulator"}
   */
  secretKey?: string;
  /**
   * The app's rate limit, or `false` for none (which also lifts the 1
   * request/s limit of `/batch`). Only authenticated requests for this app
   * count: a request for another app ID or with a bad token is refused (401)
   * without using up the budget.
   * @default {{ burst: 500, queue: 100, perSecond: 9 }}
   */
  rateLimit?: EmulatorRateLimit | false;
  /**
   * Where time comes from: token expiry, `createdAt`, rate-limit refills and
   * waits, injected delays. Use `createManualClock()` to drive it in tests.
   * Every time the emulator stores or answers is a whole number of
   * milliseconds (rounded down), whatever the clock answers.
   * @default {systemClock}
   */
  clock?: Clock;
  /**
   * Seeds the message IDs (`msg_…`): the same calls, in the same order, give
   * the same IDs on every run. `reset()` starts the sequence again.
   * @default {20251125}
   */
  seed?: number;
  /**
   * The app's default API version, as TalkJS's dashboard sets it per app. A
   * request's `TalkJS-REST-Version` header, and a `/batch` operation's
   * `api_version`, override it. The emulator follows the differences TalkJS's
   * changelog documents: before `2021-02-09` conversation lists are ordered
   * by creation, newest first, and cannot be reordered (from it: by last
   * activity, with `orderBy`, `orderDirection` and `offsetTs`); before
   * `2021-07-30` a user who left a conversation still finds it in their list;
   * before `2024-01-01` an unknown user's conversation list is empty, not a
   * 404.
   * @default {"2024-01-01"}
   */
  apiVersion?: string;
  /**
   * Send TalkJS's webhook events to your endpoint, signed with `secretKey`
   * as TalkJS signs them: after each REST call TalkJS documents an event
   * for (`user.created` or `user.updated` for a user put, `message.sent`,
   * `message.updated`, `message.deleted`, `conversation.deleted`; an import
   * sends none, as TalkJS's reference says) and after each
   * `emu.simulate` action (`message.read`, `notification.*`). Events are
   * queued: the REST call answers first and never waits for, or fails
   * with, its events. They go out in order per conversation (and per
   * user, for user events), one at a time each, and a handler that stalls
   * on one holds no other conversation's; an attempt that
   * is not answered 200 within 5 s is tried once more, 1 s later. Times, including `X-TalkJS-Timestamp`, come from
   * `clock`: with a manual clock, give your `talkjsWebhook()` the same clock
   * (or start it at `Date.now()`), or it refuses the timestamp as stale.
   * See `emu.webhooks` for what was sent.
   */
  webhooks?: EmulatorWebhookOptions;
}

/**
 * A failure to inject: the next `times` requests matching `path` and
 * `method` fail as described. `status` answers at once with that status and
 * a JSON error, doing no work; `delayMs` waits first (on the emulator's
 * clock, abortable); `reset` does the work, then cuts the answer's body off
 * mid-stream, as a connection lost after TalkJS stored the data. Only a
 * request that passes the app-ID and token checks and the rate limit takes
 * a fault.
 *
 * @example Make the next GET of a user fail with a 503
 * ```ts
 * import { createEmulator, type FaultOptions } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const fault: FaultOptions = { status: 503, retryAfter: 2, path: "/users/", method: "GET" };
 * emu.faults.inject(fault);
 * const res = await emu.fetch(`${emu.baseUrl}/v1/${emu.appId}/users/alice`, {
 *   headers: { authorization: `Bearer ${emu.secretKey}` },
 * });
 * console.log(res.status, res.headers.get("retry-after")); // 503 2
 * ```
 */
export interface FaultOptions {
  /** Answer with this status (200–599) and a JSON error body, before any work. */
  status?: number;
  /** Do the work, then send a few bytes of the answer and fail the body. */
  reset?: boolean;
  /** Wait this long (on the emulator's clock) before handling. */
  delayMs?: number;
  /** Sent as `Retry-After` with `status`: seconds, or an HTTP date. */
  retryAfter?: string | number;
  /**
   * How many matching requests fail (`Infinity` for all).
   * @default {1}
   */
  times?: number;
  /**
   * Which requests: a prefix of (string) or a pattern for (RegExp) the path
   * after `/v1/{appId}`, e.g. `"/users"`. Every path when absent.
   */
  path?: string | RegExp;
  /** Which method, e.g. `"PUT"`; every method when absent. */
  method?: string;
}

/**
 * The fault injector of an {@linkcode Emulator}.
 *
 * @example Cut off every answer until cleared
 * ```ts
 * import { createEmulator, type EmulatorFaults } from "@unofficial/talkjs-rest/testing";
 *
 * const faults: EmulatorFaults = createEmulator().faults;
 * faults.inject({ reset: true, times: Infinity });
 * faults.clear();
 * ```
 */
export interface EmulatorFaults {
  /**
   * Queues a fault; the first matching one, in injection order, applies.
   * @param fault What fails and how.
   */
  inject(fault: FaultOptions): void;
  /** Removes every queued fault. */
  clear(): void;
}

/**
 * What an {@linkcode Emulator} has answered. Never holds a token or the
 * secret key.
 *
 * @example Count the requests per route
 * ```ts
 * import { createEmulator, type EmulatorStats } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * await emu.fetch(`${emu.baseUrl}/v1/${emu.appId}/users/alice`, {
 *   headers: { authorization: `Bearer ${emu.secretKey}` },
 * });
 * const stats: EmulatorStats = emu.stats;
 * console.log(stats.requests, stats.byRoute["GET /users/:userId"]); // 1 1
 * ```
 */
export interface EmulatorStats {
  /** Every HTTP request received (operations inside a `/batch` are not counted). */
  requests: number;
  /** Every 429 answered: rate limit, `/batch` limit, or an injected 429. */
  rateLimited: number;
  /** Requests per route, e.g. `"GET /users/:userId"`; `"GET (no route)"` for unknown paths. */
  byRoute: Record<string, number>;
}

/**
 * A notification recorded by `POST /conversations/{cid}/notifications`.
 *
 * @example Check that a notification was asked for
 * ```ts
 * import { createEmulator, type EmulatorNotification } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const sent: EmulatorNotification[] = emu.store.notifications();
 * console.log(sent.length); // 0
 * ```
 */
export interface EmulatorNotification {
  /** The conversation. */
  conversationId: string;
  /** The channels asked for. */
  channels: ("email" | "sms")[];
  /**
   * The recipients: those given, else the participants with unanswered
   * messages (the emulator's reading: all but the sender of the latest
   * message).
   */
  recipients: string[];
  /** The `emailSettings` asked for, if any. */
  emailSettings?: Record<string, string>;
  /** The `smsSettings` asked for, if any. */
  smsSettings?: Record<string, string>;
  /** When it was asked for, on the emulator's clock. */
  createdAt: number;
}

/**
 * Read-only views of what an {@linkcode Emulator} holds, for tests that
 * check what really was stored. Every call returns fresh copies, oldest
 * first (by `createdAt`, then insertion).
 *
 * @example Look at stored messages
 * ```ts
 * import { createEmulator, type EmulatorStore } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const store: EmulatorStore = emu.store;
 * console.log(store.users().length, store.messages("c1").length); // 0 0
 * ```
 */
export interface EmulatorStore {
  /** Every user. */
  users(): User[];
  /**
   * One user.
   * @param userId The user's ID.
   */
  user(userId: string): User | undefined;
  /** Every conversation. */
  conversations(): Conversation[];
  /**
   * One conversation.
   * @param conversationId The conversation's ID.
   */
  conversation(conversationId: string): Conversation | undefined;
  /**
   * The messages of one conversation, or of all of them (grouped by
   * conversation, conversations oldest first).
   * @param conversationId The conversation's ID; every conversation when absent.
   */
  messages(conversationId?: string): Message[];
  /** Every notification asked for. */
  notifications(): EmulatorNotification[];
}

/**
 * An in-memory TalkJS REST API: a Hono app and an in-process `fetch`.
 *
 * @example Store a user through raw fetch and read it back
 * ```ts
 * import { createEmulator, type Emulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu: Emulator = createEmulator();
 * const res = await emu.fetch(`${emu.baseUrl}/v1/${emu.appId}/users/alice`, {
 *   method: "PUT",
 *   headers: { authorization: `Bearer ${emu.secretKey}`, "content-type": "application/json" },
 *   body: JSON.stringify({ name: "Alice" }),
 * });
 * console.log(res.status, emu.store.user("alice")?.name); // 200 Alice
 * ```
 */
export interface Emulator {
  /** The Hono app: serve it (`Deno.serve(emu.app.fetch)`) or mount it. */
  app: Hono;
  /**
   * Answers in-process, without a socket; honours the request's
   * `AbortSignal` (rejects with its reason, also while a request is held
   * by the rate limit or an injected delay). Any host works.
   */
  fetch: typeof fetch;
  /** A base URL for clients: `"http://emulator.talkjs.test"`. */
  baseUrl: string;
  /** The app ID paths must carry. */
  appId: string;
  /** The secret key that signs app tokens. */
  secretKey: string;
  /** Injects failures. */
  faults: EmulatorFaults;
  /** Live counters of what was answered. */
  readonly stats: EmulatorStats;
  /** Read-only views of the stored data. */
  store: EmulatorStore;
  /** Who is online, for `POST /presences`. */
  presence: EmulatorPresence;
  /** The webhook events sent, and `flush()` to wait for them. */
  webhooks: EmulatorWebhooks;
  /** User actions no REST call makes (reading, notifications), with their webhook events. */
  simulate: EmulatorSimulate;
  /** Clears data, stats, faults, rate-limit state and webhook deliveries (queued events are dropped). */
  reset(): void;
}

const KNOWN_METHODS: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "PUT",
  "POST",
  "PATCH",
  "DELETE",
  "OPTIONS",
]);

const DEFAULT_RATE_LIMIT = { burst: 500, queue: 100, perSecond: 9 } as const;

/**
 * The largest request body read, in bytes; a larger one is a 413. TalkJS
 * documents no limit; its largest requests (100 users, 10 messages or 10
 * batch operations) are far smaller.
 */
const MAX_BODY_BYTES = 5 * 1024 * 1024;

/**
 * The largest upload body read: a file of `MAX_FILE_BYTES` and its
 * multipart framing.
 */
const MAX_UPLOAD_BYTES = MAX_FILE_BYTES + 64 * 1024;

function requireOption(
  ok: boolean,
  name: string,
  rule: string,
  value: unknown,
): void {
  if (!ok) {
    throw new RangeError(
      `Cannot create an emulator as '${name}' must be ${rule}: current value is ${
        String(value)
      }`,
    );
  }
}

function authFailure(code: string | undefined): string {
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return "the app token has expired";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      return "the app token's claims do not fit this app (iss, exp or tokenType)";
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return "the app token must be signed with HS256";
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return "the app token's signature does not match this app's secret key";
    default:
      return "must be 'Bearer <app token>' or 'Bearer <secret key>'";
  }
}

/**
 * Creates an in-memory TalkJS REST API that follows the project's `API.md`:
 * users, conversations, participants (and their email addresses), messages,
 * imports, notifications, presences, file uploads and `/batch`, with
 * TalkJS's auth, validation, cursors, newest-first lists, JSON errors and
 * rate limits. Plug `emu.fetch` into a client, or serve `emu.app`. Uploaded
 * files (at most 25 MB each, the emulator's own cap) are served, without
 * auth, at the `attachment.url` of the messages that carry them:
 * `{origin}/files/{attachmentToken}`, the origin being the upload request's.
 *
 * Served on a port, it holds up to abuse: a request for another app ID or
 * without a valid token is a 401 that costs no rate-limit budget and leaves
 * no state behind, and a body over 5 MB is a 413, read no further.
 *
 * @param options App ID, secret key, rate limit, clock and seed.
 * @returns The emulator.
 *
 * @example Send a message and list it
 * ```ts
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator({ rateLimit: false });
 * const call = (method: string, path: string, body?: unknown) =>
 *   emu.fetch(`${emu.baseUrl}/v1/${emu.appId}${path}`, {
 *     method,
 *     headers: { authorization: `Bearer ${emu.secretKey}`, "content-type": "application/json" },
 *     ...(body === undefined ? {} : { body: JSON.stringify(body) }),
 *   }).then((res) => res.json());
 *
 * await call("PUT", "/users/alice", { name: "Alice" });
 * await call("PUT", "/conversations/c1", { participants: ["alice"] });
 * await call("POST", "/conversations/c1/messages", [
 *   { type: "UserMessage", sender: "alice", text: "Hi" },
 * ]);
 * const page = await call("GET", "/conversations/c1/messages?limit=5");
 * console.log(page.data[0].text); // Hi
 * ```
 */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const {
    appId = "tEmulator",
    secretKey = "sk_test_emulator",
    rateLimit = DEFAULT_RATE_LIMIT,
    clock = systemClock,
    apiVersion = LATEST_API_VERSION,
    seed = 20251125,
  } = options;
  const webhookOptions = resolveWebhookOptions(options.webhooks);
  requireOption(
    isApiVersion(apiVersion),
    "apiVersion",
    'a date like "2021-02-09"',
    apiVersion,
  );
  requireOption(
    typeof appId === "string" && /^[^/?#]+$/.test(appId),
    "appId",
    "a non-empty string without / ? #",
    appId,
  );
  requireOption(
    Number.isSafeInteger(seed),
    "seed",
    "an integer",
    seed,
  );
  requireOption(
    typeof secretKey === "string" && secretKey.length > 0,
    "secretKey",
    "a non-empty string",
    "(hidden)",
  );
  let limit: RateLimit | undefined;
  if (rateLimit !== false) {
    const { burst, perSecond, queue = 0 } = rateLimit;
    requireOption(
      Number.isInteger(burst) && burst >= 1,
      "rateLimit.burst",
      "an integer >= 1",
      burst,
    );
    requireOption(
      Number.isFinite(perSecond) && perSecond > 0,
      "rateLimit.perSecond",
      "a number > 0",
      perSecond,
    );
    requireOption(
      Number.isInteger(queue) && queue >= 0,
      "rateLimit.queue",
      "an integer >= 0",
      queue,
    );
    limit = createRateLimit({ burst, perSecond, queue }, clock);
  }

  const key = new TextEncoder().encode(secretKey);
  const store = createStore(seed);
  const faults = createFaultQueue();
  const stats: EmulatorStats = { requests: 0, rateLimited: 0, byRoute: {} };
  let lastBatchAt: number | undefined;
  const events = createWebhooks({
    options: webhookOptions,
    store,
    clock,
    secretKey,
  });

  const baseUrl = "http://emulator.talkjs.test";
  const router = createRouter({
    store,
    // Times stored and answered are whole milliseconds, whatever the clock.
    clock: {
      now: () => Math.floor(clock.now()),
      sleep: (ms, signal) => clock.sleep(ms, signal),
    },
    appId,
    baseUrl,
    webhooks: events.emitter,
    batchGate() {
      if (!limit) return 0;
      const now = clock.now();
      if (lastBatchAt !== undefined && now - lastBatchAt < 1000) {
        return Math.max(1, Math.ceil((lastBatchAt + 1000 - now) / 1000));
      }
      lastBatchAt = now;
      return 0;
    },
  });

  /** Undefined when authorized, else why not (never echoing the header). */
  async function unauthorized(
    header: string | null,
  ): Promise<string | undefined> {
    if (!header) return "is missing";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
    if (!match) return "must be 'Bearer <app token>' or 'Bearer <secret key>'";
    const token = match[1]!;
    if (token === secretKey) return undefined;
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ["HS256"],
        issuer: appId,
        requiredClaims: ["exp"],
        currentDate: new Date(clock.now()),
      });
      if (payload.tokenType !== "app") {
        return 'must carry an app token (tokenType "app")';
      }
      return undefined;
    } catch (error) {
      return authFailure((error as { code?: string }).code);
    }
  }

  async function serve(req: Request): Promise<Response> {
    const method = req.method.toUpperCase();
    const url = new URL(req.url);
    // Read only when waiting: under Deno.serve, touching request.signal
    // costs a listener (and a warning) on every request.
    const signal = () => req.signal;
    // Uploaded files, outside /v1 and without auth: attachment URLs are
    // links that a chat UI opens, as TalkJS's are.
    const download = /^\/files\/([^/]+)$/.exec(url.pathname);
    if (download && method === "GET") {
      const key = "GET /files/:attachmentToken";
      stats.byRoute[key] = (stats.byRoute[key] ?? 0) + 1;
      return serveFile(download[1]!);
    }
    const found = /^\/v1\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const route = found ? router.match(method, found[2] ?? "/") : undefined;
    // Any method may come in: unknown ones share one counter, so that stats
    // stay bounded whatever is sent.
    const key = route?.key ??
      `${KNOWN_METHODS.has(method) ? method : "(other method)"} (no route)`;
    stats.byRoute[key] = (stats.byRoute[key] ?? 0) + 1;
    if (!found) {
      return errorResponse(404, {
        path: `every path starts with /v1/{appId}: ${url.pathname}`,
      });
    }
    let pathAppId: string;
    try {
      pathAppId = decodeURIComponent(found[1]!);
    } catch {
      pathAppId = found[1]!;
    }
    const path = found[2] ?? "/";
    // Refused before the rate limit: a request for another app ID or with a
    // bad token uses up nothing (and leaves nothing behind).
    if (pathAppId !== appId) {
      return errorResponse(401, {
        appId: "this emulator does not serve that app ID",
      });
    }
    const denied = await unauthorized(req.headers.get("authorization"));
    if (denied) return errorResponse(401, { authorization: denied });

    if (limit) {
      const retryAfter = await limit.admit(appId, signal);
      if (retryAfter > 0) {
        return errorResponse(429, {
          rateLimit: "too many requests for this app",
        }, {
          "retry-after": String(retryAfter),
        });
      }
    }

    const fault = faults.take(method, path);
    if (fault?.delayMs) await clock.sleep(fault.delayMs, signal());
    let response: Response;
    if (fault?.status !== undefined) {
      response = errorResponse(
        fault.status,
        { fault: `injected ${fault.status}` },
        fault.retryAfter === undefined
          ? undefined
          : { "retry-after": String(fault.retryAfter) },
      );
    } else {
      response = await handle(req, method, path, url.searchParams, route);
    }
    return fault?.reset ? await cutOff(response) : response;
  }

  async function handle(
    req: Request,
    method: string,
    path: string,
    query: URLSearchParams,
    route: RouteMatch | undefined,
  ): Promise<Response> {
    let body: unknown = undefined;
    const type = (req.headers.get("content-type") ?? "").split(";")[0]!
      .trim().toLowerCase();
    const upload = route?.key === "POST /files" &&
      type === "multipart/form-data";
    if (method !== "GET" && method !== "HEAD") {
      const max = upload ? MAX_UPLOAD_BYTES : MAX_BODY_BYTES;
      const bytes = await readCapped(req.body, req.headers, max);
      if (bytes === undefined) {
        return errorResponse(413, { body: `must be at most ${max} bytes` });
      }
      const text = upload ? "" : new TextDecoder().decode(bytes);
      if (upload) {
        try {
          body = await new Response(bytes, { headers: req.headers })
            .formData();
        } catch {
          return errorResponse(400, {
            body: "must be valid multipart/form-data",
          });
        }
      } else if (!(method === "DELETE" && text === "")) {
        if (type !== "application/json") {
          return errorResponse(400, {
            "content-type": `must be application/json: current value is ${
              type || "(none)"
            }`,
          });
        }
        if (text !== "") {
          try {
            body = JSON.parse(text);
          } catch {
            return errorResponse(400, { body: "must be valid JSON" });
          }
        }
      }
    }
    const version = req.headers.get("talkjs-rest-version") ?? apiVersion;
    if (!isApiVersion(version)) {
      // TalkJS does not say what it answers; the emulator is strict.
      return errorResponse(400, {
        "TalkJS-REST-Version":
          `must be a date like "2021-02-09" (the emulator's rule): current value is ${
            JSON.stringify(version)
          }`,
      });
    }
    const result = await router.execute(
      method,
      path,
      query,
      body,
      route,
      version,
      new URL(req.url).origin,
    );
    return json(result.status, result.body, result.headers);
  }

  const app = new Hono();
  app.all("*", async (c) => {
    const req = c.req.raw;
    stats.requests++;
    let response: Response;
    try {
      response = await serve(req);
    } catch (error) {
      // An aborted request's caller is gone (emu.fetch already rejected).
      if (!req.signal.aborted) console.error(error);
      response = errorResponse(500, { server: "the emulator failed" });
    }
    if (response.status === 429) stats.rateLimited++;
    return response;
  });

  const emulatorFetch: typeof fetch = (input, init) => {
    let req: Request;
    try {
      req = new Request(input, init);
    } catch (error) {
      return Promise.reject(error);
    }
    const signal = req.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<Response>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      Promise.resolve(app.fetch(req)).then(resolve, reject).finally(() =>
        signal.removeEventListener("abort", onAbort)
      );
    });
  };

  const view = <T>(value: T): T => structuredClone(value);
  const { presence, ...presenceIds } = createPresence(store.presences);

  function serveFile(rawToken: string): Response {
    let token: string;
    try {
      token = decodeURIComponent(rawToken);
    } catch {
      token = rawToken;
    }
    const file = store.files.get(token);
    if (!file) {
      return errorResponse(404, {
        attachmentToken: "no file was uploaded with this token",
      });
    }
    return new Response(file.blob, {
      headers: {
        "content-type": file.type,
        // Served from the API's origin: never run as a page there.
        "x-content-type-options": "nosniff",
        "content-security-policy": "sandbox",
        "content-disposition": `inline; filename*=UTF-8''${
          encodeURIComponent(file.filename)
        }`,
      },
    });
  }

  return {
    app,
    fetch: emulatorFetch,
    baseUrl,
    appId,
    secretKey,
    faults: {
      inject: (fault) => faults.inject(fault),
      clear: () => faults.clear(),
    },
    get stats(): EmulatorStats {
      return stats;
    },
    store: {
      users: () =>
        store.userIndex.ascending().map((id) => view(store.users.get(id)!)),
      user: (userId) => {
        const user = store.users.get(userId);
        return user ? view(user) : undefined;
      },
      conversations: () =>
        store.conversationIndex.ascending().map((id) =>
          store.view(store.conversations.get(id)!)
        ),
      conversation: (conversationId) => {
        const conv = store.conversations.get(conversationId);
        return conv ? store.view(conv) : undefined;
      },
      messages: (conversationId) => {
        const convs = conversationId === undefined
          ? store.conversationIndex.ascending().map((id) =>
            store.conversations.get(id)!
          )
          : [store.conversations.get(conversationId)].filter((c) =>
            c !== undefined
          );
        return convs.flatMap((conv) =>
          conv.messages.ascending().map((id) =>
            view(conv.messagesById.get(id)!)
          )
        );
      },
      notifications: () => view(store.notifications),
    },
    presence,
    webhooks: events.webhooks,
    simulate: events.simulate,
    reset() {
      store.reset();
      events.reset();
      presenceIds.reset();
      faults.clear();
      limit?.reset();
      lastBatchAt = undefined;
      stats.requests = 0;
      stats.rateLimited = 0;
      for (const k of Object.keys(stats.byRoute)) delete stats.byRoute[k];
    },
  };
}
