import type { Clock } from "../clock.ts";
import { type AuthCheck, refuseAccess } from "./_auth.ts";
import { contentType, readBody } from "./_body.ts";
import { cutOff, type FaultOptions, type FaultQueue } from "./_faults.ts";
import { serveFile } from "./_files.ts";
import { errorResponse, json, outsideApi, splitApiPath } from "./_http.ts";
import type { RateLimit } from "./_rate_limit.ts";
import type { RouteMatch, Router } from "./_router.ts";
import type { StoredFile } from "./_store.ts";
import { isApiVersion } from "./_versions.ts";

/**
 * What an {@linkcode Emulator} has answered. Never holds a token or the
 * secret key.
 */
export interface EmulatorStats {
  /**
   * Every HTTP request received (operations inside a `/batch` are not
   * counted, nor the emulator's own `/_emulator/…` routes: they are no
   * TalkJS requests).
   */
  requests: number;
  /** Every 429 answered: rate limit, `/batch` limit, or an injected 429. */
  rateLimited: number;
  /** Requests per route, e.g. `"GET /users/:userId"`; `"GET (no route)"` for unknown paths. */
  byRoute: Record<string, number>;
}

/** @internal What {@linkcode createRequestHandler} needs. */
export interface RequestDeps {
  appId: string;
  /** The app's default API version. */
  apiVersion: string;
  clock: Clock;
  router: Router;
  unauthorized: AuthCheck;
  /** Undefined without a rate limit. */
  limit: RateLimit | undefined;
  faults: FaultQueue;
  stats: EmulatorStats;
  files: Map<string, StoredFile>;
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

function count(stats: EmulatorStats, key: string): void {
  stats.byRoute[key] = (stats.byRoute[key] ?? 0) + 1;
}

/** The answer of an injected `status`, with its Retry-After. */
function faultResponse(fault: FaultOptions & { status: number }): Response {
  return errorResponse(
    fault.status,
    { fault: `injected ${fault.status}` },
    fault.retryAfter === undefined
      ? undefined
      : { "retry-after": String(fault.retryAfter) },
  );
}

/**
 * Refused before the rate limit: a request for another app ID or with a
 * bad token uses up nothing (and leaves nothing behind).
 */
async function refusal(
  deps: RequestDeps,
  req: Request,
  pathAppId: string,
): Promise<Response | undefined> {
  const { appId, limit } = deps;
  const denied = await refuseAccess(deps, req, pathAppId);
  if (denied) return denied;
  // Read only when waiting: under Deno.serve, touching request.signal
  // costs a listener (and a warning) on every request.
  const retryAfter = await limit?.admit(appId, () => req.signal);
  if (retryAfter) {
    return errorResponse(
      429,
      { rateLimit: "too many requests for this app" },
      { "retry-after": String(retryAfter) },
    );
  }
  return undefined;
}
/** Reads the body, checks the version, and runs the route. */
async function handle(
  { router, apiVersion }: RequestDeps,
  req: Request,
  method: string,
  path: string,
  route: RouteMatch | undefined,
): Promise<Response> {
  const upload = route?.key === "POST /files" &&
    contentType(req) === "multipart/form-data";
  const read = await readBody(req, method, upload);
  if ("error" in read) return read.error;
  const version = req.headers.get("talkjs-rest-version") ?? apiVersion;
  if (!isApiVersion(version)) {
    // TalkJS does not say what it answers; the emulator is strict.
    return errorResponse(400, {
      "TalkJS-REST-Version":
        `must be a date like "2021-02-09", one that exists (the emulator's rule): current value is ${
          JSON.stringify(version)
        }`,
    });
  }
  const url = new URL(req.url);
  const result = await router.execute({
    method,
    path,
    query: url.searchParams,
    body: read.body,
    version,
    origin: url.origin,
  }, route);
  return json(result.status, result.body, result.headers);
}
/**
 * @internal Handles one HTTP request: file downloads, then for `/v1`
 * paths the app-ID and token checks, the rate limit, injected faults, the
 * body and the version, and the route.
 */
export function createRequestHandler(
  deps: RequestDeps,
): (req: Request) => Promise<Response> {
  const { router, stats, faults, clock } = deps;

  /** An authorized request: its injected fault, if any, else its route. */
  async function withFault(
    req: Request,
    method: string,
    path: string,
    route: RouteMatch | undefined,
  ): Promise<Response> {
    const fault = faults.take(method, path);
    if (fault?.delayMs) await clock.sleep(fault.delayMs, req.signal);
    const response = fault?.status !== undefined
      ? faultResponse(fault as FaultOptions & { status: number })
      : await handle(deps, req, method, path, route);
    return fault?.reset ? await cutOff(response) : response;
  }

  return async function serve(req) {
    const method = req.method.toUpperCase();
    const url = new URL(req.url);
    // Uploaded files, outside /v1 and without auth: attachment URLs are
    // links that a chat UI opens, as TalkJS's are.
    const download = /^\/files\/([^/]+)$/.exec(url.pathname);
    if (download && method === "GET") {
      count(stats, "GET /files/:attachmentToken");
      return serveFile(deps.files, download[1]!);
    }
    const found = splitApiPath(url.pathname);
    const path = found?.path ?? "/";
    const route = found ? router.match(method, path) : undefined;
    // Any method may come in: unknown ones share one counter, so that stats
    // stay bounded whatever is sent.
    count(
      stats,
      route?.key ??
        `${KNOWN_METHODS.has(method) ? method : "(other method)"} (no route)`,
    );
    if (!found) return errorResponse(404, outsideApi(url.pathname));
    return await refusal(deps, req, found.pathAppId) ??
      await withFault(req, method, path, route);
  };
}
