import { Hono } from "hono";
import type { Clock } from "../clock.ts";
import { createAuthCheck } from "./_auth.ts";
import { createControlHandler } from "./_control.ts";
import { createFaultQueue, type FaultOptions } from "./_faults.ts";
import { errorResponse } from "./_http.ts";
import { type EmulatorOptions, resolveEmulatorOptions } from "./_options.ts";
import { createPresence, type EmulatorPresence } from "./_presence.ts";
import { createBatchGate, createRateLimit } from "./_rate_limit.ts";
import { createRouter } from "./_router.ts";
import { createRequestHandler, type EmulatorStats } from "./_serve.ts";
import { createStore } from "./_store.ts";
import { createStoreView, type EmulatorStore } from "./_store_view.ts";
import {
  createWebhooks,
  type EmulatorSimulate,
  type EmulatorWebhooks,
} from "./_webhooks.ts";

export type { FaultOptions } from "./_faults.ts";
export type { EmulatorOptions, EmulatorRateLimit } from "./_options.ts";
export type { EmulatorPresence, EmulatorSessions } from "./_presence.ts";
export type { EmulatorStats } from "./_serve.ts";
export type { EmulatorNotification } from "./_store.ts";
export type { EmulatorStore } from "./_store_view.ts";
export type {
  EmulatorSimulate,
  EmulatorWebhookOptions,
  EmulatorWebhooks,
  SimulateNotificationOptions,
  WebhookDelivery,
} from "./_webhooks.ts";

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
   *
   * @example Make the next GET of a user fail with a 503
   * ```ts
   * import { createEmulator } from "@unofficial/talkjs-rest/testing";
   *
   * const emu = createEmulator();
   * emu.faults.inject({ status: 503, retryAfter: 2, path: "/users/", method: "GET" });
   * const res = await emu.fetch(`${emu.baseUrl}/v1/${emu.appId}/users/alice`, {
   *   headers: { authorization: `Bearer ${emu.secretKey}` },
   * });
   * console.log(res.status, res.headers.get("retry-after")); // 503 2
   * ```
   */
  inject(fault: FaultOptions): void;
  /** Removes every queued fault. */
  clear(): void;
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
  /**
   * Live counters of what was answered.
   *
   * @example Count the requests per route
   * ```ts
   * import { createEmulator } from "@unofficial/talkjs-rest/testing";
   *
   * const emu = createEmulator();
   * await emu.fetch(`${emu.baseUrl}/v1/${emu.appId}/users/alice`, {
   *   headers: { authorization: `Bearer ${emu.secretKey}` },
   * });
   * console.log(emu.stats.requests, emu.stats.byRoute["GET /users/:userId"]); // 1 1
   * ```
   */
  readonly stats: EmulatorStats;
  /** Read-only views of the stored data. */
  store: EmulatorStore;
  /** Who is online, for `POST /presences`. */
  presence: EmulatorPresence;
  /** The webhook events sent, and `flush()` to wait for them. */
  webhooks: EmulatorWebhooks;
  /**
   * User actions no REST call makes (reading, notifications), with their
   * webhook events; over HTTP, `POST /_emulator/{appId}/simulate/read` and
   * `…/simulate/notification`.
   */
  simulate: EmulatorSimulate;
  /** Clears data, stats, faults, rate-limit state and webhook deliveries (queued events are dropped). */
  reset(): void;
}

/** Times stored and answered are whole milliseconds, whatever the clock. */
function wholeMilliseconds(clock: Clock): Clock {
  return {
    now: () => Math.floor(clock.now()),
    sleep: (ms, signal) => clock.sleep(ms, signal),
  };
}

/** `handle`'s answer, or a 500 for anything the emulator itself throws. */
async function guarded(
  handle: (req: Request) => Promise<Response>,
  req: Request,
): Promise<Response> {
  try {
    return await handle(req);
  } catch (error) {
    // An aborted request's caller is gone (emu.fetch already rejected).
    if (!req.signal.aborted) console.error(error);
    return errorResponse(500, { server: "the emulator failed" });
  }
}

/**
 * The Hono app: the emulator's own `/_emulator/…` routes (not TalkJS
 * requests, so not counted), then every other request counted and handled.
 * Told apart by the path as sent: Hono's router also matches a decoded one
 * (`/%5Femulator/…`) and `/_emulator` itself, which go on to the API.
 */
function createApp(
  serve: (req: Request) => Promise<Response>,
  control: (req: Request) => Promise<Response>,
  stats: EmulatorStats,
): Hono {
  const app = new Hono();
  app.all("/_emulator/*", async (c, next) => {
    if (new URL(c.req.url).pathname.startsWith("/_emulator/")) {
      return await guarded(control, c.req.raw);
    }
    await next();
  });
  app.all("*", async (c) => {
    stats.requests++;
    const response = await guarded(serve, c.req.raw);
    if (response.status === 429) stats.rateLimited++;
    return response;
  });
  return app;
}

/** `emu.fetch`: the app in process, rejecting with the signal's reason on abort. */
function inProcessFetch(app: Hono): typeof fetch {
  return function emulatorFetch(input, init) {
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
}

function clearStats(stats: EmulatorStats): void {
  stats.requests = 0;
  stats.rateLimited = 0;
  for (const k of Object.keys(stats.byRoute)) delete stats.byRoute[k];
}

/**
 * Creates an in-memory TalkJS REST API that follows `docs/talkjs-api.md`:
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
 * Its own routes, outside TalkJS's `/v1`, run `emu.simulate` for other
 * processes: `POST /_emulator/{appId}/simulate/read` with JSON
 * `{ conversationId, userId }` answers `{ messageIds }`, and
 * `POST /_emulator/{appId}/simulate/notification` with
 * `{ conversationId, userId, events?, url? }` answers `{ notificationId }`.
 * They take the API's auth, but no rate-limit budget, and `emu.stats` does
 * not count them; a 400 names the bad field, a 404 what is not stored.
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
 *
 * @example Its own app ID, and a small limit that refuses the third request in a row
 * ```ts
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator({ appId: "tMyApp", rateLimit: { burst: 2, perSecond: 1 } });
 * const url = `${emu.baseUrl}/v1/tMyApp/users`;
 * const auth = { authorization: `Bearer ${emu.secretKey}` };
 * const statuses = [];
 * for (let i = 0; i < 3; i++) statuses.push((await emu.fetch(url, { headers: auth })).status);
 * console.log(statuses); // [ 200, 200, 429 ]
 * ```
 */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const resolved = resolveEmulatorOptions(options);
  const { appId, secretKey, clock } = resolved;
  const store = createStore(resolved.seed);
  const faults = createFaultQueue();
  const stats: EmulatorStats = { requests: 0, rateLimited: 0, byRoute: {} };
  const limit = resolved.rateLimit &&
    createRateLimit(resolved.rateLimit, clock);
  const batchGate = createBatchGate(clock, limit !== undefined);
  const events = createWebhooks({
    options: resolved.webhooks,
    store,
    clock,
    secretKey,
  });
  const router = createRouter({
    store,
    clock: wholeMilliseconds(clock),
    appId,
    webhooks: events.emitter,
    batchGate: batchGate.take,
  });
  const unauthorized = createAuthCheck({ appId, secretKey, clock });
  const app = createApp(
    createRequestHandler({
      appId,
      apiVersion: resolved.apiVersion,
      clock,
      router,
      unauthorized,
      limit,
      faults,
      stats,
      files: store.files,
    }),
    createControlHandler({
      appId,
      unauthorized,
      store,
      simulate: events.simulate,
    }),
    stats,
  );
  const { presence, ...presenceIds } = createPresence(store.presences);
  return {
    app,
    fetch: inProcessFetch(app),
    baseUrl: "http://emulator.talkjs.test",
    appId,
    secretKey,
    faults: {
      inject: (fault: FaultOptions) => faults.inject(fault),
      clear: () => faults.clear(),
    },
    get stats(): EmulatorStats {
      return stats;
    },
    store: createStoreView(store),
    presence,
    webhooks: events.webhooks,
    simulate: events.simulate,
    reset() {
      store.reset();
      events.reset();
      presenceIds.reset();
      faults.clear();
      limit?.reset();
      batchGate.reset();
      clearStats(stats);
    },
  };
}
