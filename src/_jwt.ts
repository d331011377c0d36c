import { CompactSign } from "jose";
import { encoder, hmacKey } from "./_hmac.ts";

/**
 * Signs a TalkJS token as a compact HS256 JWT with jose: an app token
 * `{ tokenType: "app", iss, iat, exp }`, or with `userId` a user token
 * `{ tokenType: "user", sub, iss, iat, exp }`. (jose's CompactSign, not
 * SignJWT: the claims are ours to set, and it keeps the core bundle smaller.)
 */
export async function signJwt(
  appId: string,
  secretKey: string,
  nowMs: number,
  ttlSeconds: number,
  userId?: string,
): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  const payload = {
    ...(userId === undefined
      ? { tokenType: "app" }
      : { tokenType: "user", sub: userId }),
    iss: appId,
    iat,
    exp: iat + Math.ceil(ttlSeconds),
  };
  return await new CompactSign(encoder.encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(await hmacKey(secretKey));
}
