/** @internal A failure a route answers as a JSON error. */
export class HttpError extends Error {
  readonly status: number;
  readonly reasons: Record<string, string | string[]>;
  readonly headers: Record<string, string> | undefined;

  constructor(
    status: number,
    reasons: Record<string, string | string[]>,
    headers?: Record<string, string>,
  ) {
    super(`HTTP ${status}`);
    this.name = "HttpError";
    this.status = status;
    this.reasons = reasons;
    this.headers = headers;
  }
}

/** @internal A 400 naming the bad argument. */
export function badRequest(field: string, message: string): never {
  throw new HttpError(400, { [field]: message });
}

/** @internal A 404 naming what was not found. */
export function notFound(field: string, message: string): never {
  throw new HttpError(404, { [field]: message });
}

const codes: Record<number, string> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  429: "TOO_MANY_REQUESTS",
  500: "INTERNAL_SERVER_ERROR",
  502: "BAD_GATEWAY",
  503: "SERVICE_UNAVAILABLE",
  504: "GATEWAY_TIMEOUT",
};

/** @internal The `errorCode` of a status. */
export function errorCode(status: number): string {
  return codes[status] ?? (status >= 500 ? "SERVER_ERROR" : "REQUEST_FAILED");
}

/** @internal The JSON body of an error answer. */
export function errorBody(
  status: number,
  reasons: Record<string, string | string[]>,
): { errorCode: string; reasons: Record<string, string | string[]> } {
  return { errorCode: errorCode(status), reasons };
}

/**
 * @internal A URL path under `/v1/{appId}`: the app ID as it appears there,
 * and the path after it (`/` when none); undefined for any other path.
 */
export function splitApiPath(
  pathname: string,
): { pathAppId: string; path: string } | undefined {
  const found = /^\/v1\/([^/]+)(\/.*)?$/.exec(pathname);
  return found ? { pathAppId: found[1]!, path: found[2] ?? "/" } : undefined;
}

/** @internal The reasons of the 404 for a path outside `/v1/{appId}`. */
export function outsideApi(pathname: string): Record<string, string> {
  return { path: `every path starts with /v1/{appId}: ${pathname}` };
}

/** @internal A JSON answer. */
export function json(
  status: number,
  body: unknown,
  headers?: HeadersInit,
): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(body), { status, headers: h });
}

/** @internal A JSON error answer. */
export function errorResponse(
  status: number,
  reasons: Record<string, string | string[]>,
  headers?: HeadersInit,
): Response {
  return json(status, errorBody(status, reasons), headers);
}
