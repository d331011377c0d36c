import type { Context, Env, MiddlewareHandler } from "hono";
import { createUserToken } from "../auth.ts";
import type { Clock } from "../clock.ts";
import { requireClock, requirePositive } from "../_validate.ts";
import {
  notConfigured,
  resolveSetting,
  type TalkJsSetting,
} from "./_config.ts";

/** Options of {@linkcode talkjsUserToken}. */
// deno-lint-ignore no-explicit-any
export interface TalkJsUserTokenOptions<E extends Env = any> {
  /**
   * Finds the signed-in user's TalkJS ID, e.g. from your session; nothing
   * (`undefined`, `null`, `""`) means nobody is signed in, answered with a 401.
   */
  userId: (
    c: Context<E>,
  ) => string | undefined | null | Promise<string | undefined | null>;
  /**
   * Your TalkJS app ID, or a function of `c` that finds it.
   * @default {TALKJS_APP_ID}
   */
  appId?: TalkJsSetting<E>;
  /**
   * Your TalkJS secret key, or a function of `c` that finds it.
   * @default {TALKJS_SECRET_KEY}
   */
  secretKey?: TalkJsSetting<E>;
  /**
   * Lifetime of each token, in seconds.
   * @default {3600}
   */
  ttlSeconds?: number;
  /**
   * Where `iat` and `exp` come from.
   * @default {systemClock}
   */
  clock?: Clock;
}

/** The JSON body of a successful {@linkcode talkjsUserToken} answer. */
export interface TalkJsUserTokenResponse {
  /** The user token (HS256 JWT) for the frontend SDK. */
  token: string;
}

/**
 * A Hono handler that issues a TalkJS user token (see `createUserToken`) to
 * the signed-in user, for the frontend SDKs: `200 { token }`, not cacheable.
 * A 401 `{ error }` when `userId` finds nobody; else a 500 `{ error }` when no
 * app ID or secret key is found (options first, then `TALKJS_APP_ID` and
 * `TALKJS_SECRET_KEY`: Workers bindings, else the runtime's environment
 * through Hono's `env(c)`), or when `userId`
 * gives something other than a string, `undefined` or `null`.
 *
 * @param options How to find the user, the app ID and the secret key; the token's lifetime.
 * @returns The handler.
 * @throws {TypeError} When `userId` is not a function.
 * @throws {RangeError} When `ttlSeconds` is not a positive number.
 * @throws {TypeError} When `clock` is not a Clock.
 *
 * @example Issue tokens to the user your session names
 * ```ts
 * import { Hono } from "hono";
 * import { talkjsUserToken } from "@unofficial/talkjs-rest/hono";
 *
 * const app = new Hono();
 * app.get(
 *   "/talkjs/token",
 *   talkjsUserToken({
 *     appId: "tTest",
 *     secretKey: "sk_test_example",
 *     userId: (c) => c.req.header("x-user-id"), // your session lookup here
 *   }),
 * );
 *
 * const response = await app.request("/talkjs/token", { headers: { "x-user-id": "alice" } });
 * const { token } = await response.json();
 * console.log(response.status, token.split(".").length); // 200 3
 * console.log((await app.request("/talkjs/token")).status); // 401
 * ```
 */
// deno-lint-ignore no-explicit-any
export function talkjsUserToken<E extends Env = any>(
  options: TalkJsUserTokenOptions<E>,
): MiddlewareHandler<E> {
  const what = "create the user token handler";
  const {
    userId,
    appId: appIdSetting,
    secretKey: secretKeySetting,
    ttlSeconds = 3600,
    clock,
  } = options ?? ({} as TalkJsUserTokenOptions<E>);
  if (typeof userId !== "function") {
    throw new TypeError(
      `Cannot ${what} as 'userId' must be a function of the Hono context: current value is ${
        userId === null ? "null" : typeof userId
      }`,
    );
  }
  requirePositive(what, "ttlSeconds", ttlSeconds);
  if (clock !== undefined) requireClock(what, "clock", clock);

  const missing = notConfigured(
    "talkjsUserToken",
    ["TALKJS_APP_ID", "TALKJS_SECRET_KEY"],
    "appId/secretKey",
  );
  return async function talkjsUserTokenHandler(c) {
    const user: unknown = await userId(c);
    if (user === undefined || user === null || user === "") {
      return c.json({
        error: "Not signed in: there is no user to issue a TalkJS token for",
      }, 401);
    }
    if (typeof user !== "string") {
      // A bug in userId, not a signed-out visitor: say so, as a server error.
      const error =
        `talkjsUserToken(): userId() must give a string, undefined or null: it gave ${
          Array.isArray(user) ? "an array" : typeof user
        }`;
      console.error(error);
      return c.json({ error }, 500);
    }
    const appId = await resolveSetting(c, appIdSetting, "TALKJS_APP_ID");
    const secretKey = await resolveSetting(
      c,
      secretKeySetting,
      "TALKJS_SECRET_KEY",
    );
    if (appId === undefined || secretKey === undefined) {
      return missing(c);
    }
    const token = await createUserToken({
      appId,
      secretKey,
      userId: user,
      ttlSeconds,
      ...(clock ? { clock } : {}),
    });
    c.header("Cache-Control", "no-store");
    return c.json({ token } satisfies TalkJsUserTokenResponse);
  };
}
