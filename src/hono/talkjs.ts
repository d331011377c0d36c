import type { Env, MiddlewareHandler } from "hono";
import {
  type ClientOptions,
  createClient,
  type TalkJsClient,
} from "../client.ts";
import type { Clock } from "../clock.ts";
import { createLimiter, type Limiter, type LimiterStore } from "../limiter.ts";
import { resolveSharedOptions } from "../_client_options.ts";
import {
  notConfigured,
  resolveSetting,
  type TalkJsSetting,
} from "./_config.ts";

export type { TalkJsSetting } from "./_config.ts";

/**
 * The variables the middlewares fall back to, as Workers bindings or
 * environment variables; add them to your app's `Bindings`.
 */
export interface TalkJsBindings {
  /** Your TalkJS app ID. */
  TALKJS_APP_ID?: string;
  /**
   * Your TalkJS secret key: locally in `.dev.vars` (what `wrangler dev`
   * reads), deployed as a secret (`wrangler secret put TALKJS_SECRET_KEY`).
   */
  TALKJS_SECRET_KEY?: string;
  /** Where TalkJS is, e.g. `http://127.0.0.1:8787` for `deno task emulator`; {@linkcode talkjs} only. */
  TALKJS_BASE_URL?: string;
}

/** What {@linkcode talkjs} puts on `c.var`. */
export interface TalkJsVariables {
  /** A ready client for the request's app. */
  talkjs: TalkJsClient;
}

/** The Hono `Env` of {@linkcode talkjs}: `new Hono<TalkJsEnv>()` types `c.var.talkjs`. */
export interface TalkJsEnv {
  /** Optional Workers bindings. */
  Bindings: TalkJsBindings;
  /** `c.var.talkjs`. */
  Variables: TalkJsVariables;
}

/**
 * Options of {@linkcode talkjs}: every option of `createClient`, with `appId`
 * and `secretKey` optional and per request.
 */
// deno-lint-ignore no-explicit-any
export interface TalkJsMiddlewareOptions<E extends Env = any>
  extends Omit<ClientOptions, "appId" | "secretKey"> {
  /**
   * Your TalkJS app ID, or a function of `c` that finds it.
   * @default {TALKJS_APP_ID}
   */
  appId?: TalkJsSetting<E>;
  /**
   * Your TalkJS secret key, or a function of `c` that finds it. Never logged.
   * @default {TALKJS_SECRET_KEY}
   */
  secretKey?: TalkJsSetting<E>;
  /**
   * Where TalkJS is; `undefined` reads the environment.
   * @default {TALKJS_BASE_URL, else "https://api.talkjs.com"}
   */
  baseUrl?: string | undefined;
  /**
   * Where each app ID's limiter keeps its budget, so that every isolate of
   * the app shares it: `kvStore(await Deno.openKv())` on Deno Deploy, a
   * Durable Object store on Workers (see `examples/worker`). Not used when
   * `limiter` is given.
   * @default {memoryStore()}
   */
  store?: LimiterStore;
}

// TalkJS's budget is per app: one limiter per app ID (and store) per isolate,
// however many talkjs() middlewares ask for one.
const sharedLimiters = new WeakMap<object, Map<string, Limiter>>();
const IN_MEMORY = {};

function limiterFor(
  appId: string,
  store: LimiterStore | undefined,
  clock: Clock | undefined,
): Limiter {
  const owner = store ?? clock ?? IN_MEMORY;
  let byApp = sharedLimiters.get(owner);
  if (!byApp) sharedLimiters.set(owner, byApp = new Map());
  let limiter = byApp.get(appId);
  if (!limiter) {
    limiter = createLimiter({
      key: appId,
      ...(store ? { store } : {}),
      ...(clock ? { clock } : {}),
    });
    byApp.set(appId, limiter);
  }
  return limiter;
}

interface CachedClient {
  // Held only to notice a rotated key or a moved base URL; never exposed or logged.
  secretKey: string;
  baseUrl: string | undefined;
  client: TalkJsClient;
}

/**
 * Hono middleware that puts a ready TalkJS client on `c.var.talkjs`.
 *
 * The app ID and secret key come from the options (strings, or functions of
 * `c`), else from `TALKJS_APP_ID` and `TALKJS_SECRET_KEY`, and the base URL
 * from the `baseUrl` option, else `TALKJS_BASE_URL` (so that one variable
 * points the app at `deno task emulator`), else TalkJS. The variables are
 * Workers bindings on `c.env`, else the runtime's environment, read through
 * Hono's `env(c)` (`Deno.env`, `process.env`, Bun's). Without an app ID and
 * key the request is answered with a 500 and a JSON `{ error }` naming what
 * to set; so is a bad `TALKJS_BASE_URL`; nothing throws.
 *
 * Each middleware keeps one client per app ID, created on first use and reused
 * by every later request in the isolate, so all of them share its limiter.
 * Create the middleware once and mount it where needed. Every `talkjs()` in
 * the isolate shares one limiter per app ID (and `store`); to share the
 * budget across isolates too, pass `store` (see `kvStore`). A `limiter` you
 * pass instead is used as it is, for every app ID. A changed secret key
 * replaces the app's client.
 *
 * @param options Client options, plus where to find the app ID and secret key.
 * @returns The middleware.
 *
 * @example Use the client in a route
 * ```ts
 * import { Hono } from "hono";
 * import { talkjs } from "@unofficial/talkjs-rest/hono";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const app = new Hono()
 *   .use("/api/*", talkjs({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch }))
 *   .put("/api/users/:id", async (c) => {
 *     await c.var.talkjs.users.put(c.req.param("id"), { name: "Alice" });
 *     return c.json(await c.var.talkjs.users.get(c.req.param("id")));
 *   });
 *
 * const response = await app.request("/api/users/alice", { method: "PUT" });
 * console.log((await response.json()).name); // Alice
 * ```
 *
 * @example On Cloudflare Workers, with bindings
 * ```ts ignore
 * import { Hono } from "hono";
 * import { talkjs, type TalkJsBindings } from "@unofficial/talkjs-rest/hono";
 *
 * const app = new Hono<{ Bindings: TalkJsBindings }>();
 * app.use("/api/*", talkjs());
 * export default app;
 * ```
 */
// deno-lint-ignore no-explicit-any
export function talkjs<E extends Env = any>(
  options: TalkJsMiddlewareOptions<E> = {},
): MiddlewareHandler<TalkJsEnv> {
  const {
    appId: appIdSetting,
    secretKey: secretKeySetting,
    store,
    ...clientOptions
  } = options;
  // Bad client options throw here, once, not on every request. (No token is
  // signed and no limiter made: this may run at a Worker's global scope.)
  resolveSharedOptions(clientOptions);
  const clients = new Map<string, CachedClient>();
  let logged = false;
  const misconfigured = (error: unknown) => {
    if (logged) return;
    logged = true;
    // Without user-info or query: what a URL may hide secrets in.
    console.error(
      `talkjs(): ${
        String((error as Error)?.message ?? error)
          .replace(/\/\/[^\s/"@]*@/g, "//[redacted]@")
          .replace(/\?[^\s"]*/g, "?[redacted]")
      }`,
    );
  };
  const missing = notConfigured(
    "talkjs",
    ["TALKJS_APP_ID", "TALKJS_SECRET_KEY"],
    "appId/secretKey",
  );

  return async function talkjsMiddleware(c, next) {
    const appId = await resolveSetting(c, appIdSetting, "TALKJS_APP_ID");
    const secretKey = await resolveSetting(
      c,
      secretKeySetting,
      "TALKJS_SECRET_KEY",
    );
    const baseUrl = clientOptions.baseUrl ??
      await resolveSetting(c, undefined, "TALKJS_BASE_URL");
    if (appId === undefined || secretKey === undefined) return missing(c);
    // No await between this lookup and the set: concurrent first requests share one client.
    let cached = clients.get(appId);
    if (
      cached === undefined || cached.secretKey !== secretKey ||
      cached.baseUrl !== baseUrl
    ) {
      let client: TalkJsClient;
      try {
        client = createClient({
          ...clientOptions,
          ...(baseUrl === undefined ? {} : { baseUrl }),
          appId,
          secretKey,
          limiter: clientOptions.limiter ??
            limiterFor(appId, store, clientOptions.clock),
        });
      } catch (error) {
        // A bad TALKJS_APP_ID or TALKJS_BASE_URL. The answer names no value
        // (a URL may hold credentials or a key); the log has the reason.
        misconfigured(error);
        return c.json({
          error:
            "TalkJS is misconfigured: check appId/baseUrl or TALKJS_APP_ID/TALKJS_BASE_URL (the server's log says why)",
        }, 500);
      }
      cached = { secretKey, baseUrl, client };
      clients.set(appId, cached);
    }
    c.set("talkjs", cached.client);
    await next();
  };
}
