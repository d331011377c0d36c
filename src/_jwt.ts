import { CompactSign } from "jose";
import { hmacKey } from "./_hmac.ts";

const encoder = new TextEncoder();

/**
 * Signs `{ ...claims, iss, iat, exp }` as a compact HS256 JWT with jose.
 * (jose's CompactSign, not SignJWT: the claims are ours to set, and it keeps
 * the core bundle smaller.)
 */
export async function signJwt(
  claims: Record<string, string>,
  appId: string,
  secretKey: string,
  nowMs: number,
  ttlSeconds: number,
): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  const payload = {
    ...claims,
    iss: appId,
    iat,
    exp: iat + Math.ceil(ttlSeconds),
  };
  return await new CompactSign(encoder.encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(await hmacKey(secretKey));
}
