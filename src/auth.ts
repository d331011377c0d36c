import { type Clock, systemClock } from "./clock.ts";
import { signJwt } from "./_jwt.ts";
import { requireId as requireString } from "./_validate.ts";

/** Options of {@linkcode createAppToken}. */
export interface AppTokenOptions {
  /** Your TalkJS app ID (`iss`). */
  appId: string;
  /** Your TalkJS secret key; it signs the token and is never sent. */
  secretKey: string;
  /**
   * Seconds until `exp`.
   * @default {30}
   */
  ttlSeconds?: number;
  /**
   * Where `iat` and `exp` come from.
   * @default {systemClock}
   */
  clock?: Clock;
}

/** Options of {@linkcode createUserToken}. */
export interface UserTokenOptions extends AppTokenOptions {
  /** The user the token is for (`sub`). */
  userId: string;
}

function requireTtl(what: string, ttl: unknown): number {
  if (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl <= 0) {
    throw new RangeError(
      `Cannot ${what} as 'ttlSeconds' must be a positive number: current value is ${
        String(ttl)
      }`,
    );
  }
  return ttl;
}

/**
 * Signs a TalkJS app token: an HS256 JWT `{ tokenType: "app", iss: appId,
 * iat, exp }` for the REST API's `Authorization: Bearer` header. The client
 * signs a fresh one per request; call this only to make requests yourself.
 *
 * @param options App ID, secret key and lifetime.
 * @returns The compact JWT.
 *
 * @example Sign a token for a curl call
 * ```ts
 * import { createAppToken } from "@unofficial/talkjs-rest";
 *
 * const token = await createAppToken({ appId: "tTest", secretKey: "sk_test_example" });
 * console.log(token.split(".").length); // 3
 * ```
 */
export function createAppToken(options: AppTokenOptions): Promise<string> {
  const what = "create an app token";
  try {
    const { appId, secretKey, ttlSeconds = 30, clock = systemClock } =
      options ?? {};
    requireString(what, "appId", appId);
    requireString(what, "secretKey", secretKey);
    requireTtl(what, ttlSeconds);
    return signJwt(
      { tokenType: "app" },
      appId,
      secretKey,
      clock.now(),
      ttlSeconds,
    );
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Signs a TalkJS user token for the frontend SDKs: an HS256 JWT
 * `{ tokenType: "user", iss: appId, sub: userId, iat, exp }`. Issue it from
 * your backend to the signed-in user; never send the secret key to a browser.
 *
 * @param options App ID, secret key, user ID and lifetime (default 1 hour).
 * @returns The compact JWT.
 *
 * @example Issue a token for the signed-in user
 * ```ts
 * import { createUserToken } from "@unofficial/talkjs-rest";
 *
 * const token = await createUserToken({
 *   appId: "tTest",
 *   secretKey: "sk_test_example",
 *   userId: "alice",
 * });
 * const claims = JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));
 * console.log(claims.sub, claims.tokenType); // alice user
 * ```
 */
export function createUserToken(options: UserTokenOptions): Promise<string> {
  const what = "create a user token";
  try {
    const { appId, secretKey, userId, ttlSeconds = 3600, clock = systemClock } =
      options ?? {};
    requireString(what, "appId", appId);
    requireString(what, "secretKey", secretKey);
    requireString(what, "userId", userId);
    requireTtl(what, ttlSeconds);
    return signJwt(
      { tokenType: "user", sub: userId },
      appId,
      secretKey,
      clock.now(),
      ttlSeconds,
    );
  } catch (error) {
    return Promise.reject(error);
  }
}
