import { jwtVerify } from "jose";
import type { Clock } from "../clock.ts";
import { errorResponse } from "./_http.ts";

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

/** @internal Checks an `Authorization` header against one app. */
export type AuthCheck = (header: string | null) => Promise<string | undefined>;

/**
 * @internal The app's auth check: it answers undefined when `header` carries
 * the secret key or a valid app token, else why not (never echoing the
 * header).
 */
export function createAuthCheck(
  { appId, secretKey, clock }: {
    appId: string;
    secretKey: string;
    clock: Clock;
  },
): AuthCheck {
  const key = new TextEncoder().encode(secretKey);
  return async function unauthorized(header) {
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
  };
}

function decoded(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** @internal Whether `pathAppId`, as it appears in a path, names another app than `appId`. */
export function isOtherApp(appId: string, pathAppId: string): boolean {
  return decoded(pathAppId) !== appId;
}

/** @internal The reasons of the 401 for a path of another app ID. */
export const OTHER_APP: Readonly<Record<string, string>> = {
  appId: "this emulator does not serve that app ID",
};

/**
 * @internal The 401 for a request whose path names another app ID
 * (`pathAppId`, as it appears in the path) or whose `Authorization` the
 * check refuses; undefined when it may go on.
 */
export async function refuseAccess(
  { appId, unauthorized }: { appId: string; unauthorized: AuthCheck },
  req: Request,
  pathAppId: string,
): Promise<Response | undefined> {
  if (isOtherApp(appId, pathAppId)) return errorResponse(401, { ...OTHER_APP });
  const denied = await unauthorized(req.headers.get("authorization"));
  return denied ? errorResponse(401, { authorization: denied }) : undefined;
}
