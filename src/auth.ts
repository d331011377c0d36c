import { type Clock, systemClock } from "./clock.ts";
import { signJwt } from "./_jwt.ts";
import { isPositiveFinite, requireId, requireNumber } from "./_validate.ts";

/**
 * Options of {@linkcode createAppToken}.
 */
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

/**
 * Options of {@linkcode createUserToken}.
 */
export interface UserTokenOptions extends AppTokenOptions {
  /** The user the token is for (`sub`). */
  userId: string;
}

/** Validates the options of both token kinds and signs (a user token when `user`). */
async function signToken(
  what: string,
  options: Partial<UserTokenOptions> | undefined,
  user: boolean,
): Promise<string> {
  const {
    appId,
    secretKey,
    userId,
    ttlSeconds = user ? 3600 : 30,
    clock = systemClock,
  } = options ?? {};
  requireId(what, "appId", appId);
  requireId(what, "secretKey", secretKey);
  if (user) requireId(what, "userId", userId);
  requireNumber(
    what,
    "ttlSeconds",
    ttlSeconds,
    "a positive number",
    isPositiveFinite,
    RangeError,
  );
  return await signJwt(
    appId as string,
    secretKey as string,
    clock.now(),
    ttlSeconds,
    user ? userId : undefined,
  );
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
 *
 * @example Sign a short-lived token for a raw request
 * ```ts
 * import { createAppToken } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const token = await createAppToken({ appId: emu.appId, secretKey: emu.secretKey, ttlSeconds: 10 });
 * const res = await emu.fetch(`${emu.baseUrl}/v1/${emu.appId}/users`, {
 *   headers: { authorization: `Bearer ${token}` },
 * });
 * console.log(res.status); // 200
 * ```
 */
export function createAppToken(options: AppTokenOptions): Promise<string> {
  return signToken("create an app token", options, false);
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
 *   ttlSeconds: 86_400, // a day; the default is an hour
 * });
 * const claims = JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));
 * console.log(claims.sub, claims.tokenType, claims.exp - claims.iat); // alice user 86400
 * ```
 */
export function createUserToken(options: UserTokenOptions): Promise<string> {
  return signToken("create a user token", options, true);
}
