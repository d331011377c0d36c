import { errorBody, HttpError } from "./_http.ts";
import { batchRoutes } from "./routes/batch.ts";
import { conversationRoutes } from "./routes/conversations.ts";
import { fileRoutes } from "./routes/files.ts";
import { messageRoutes } from "./routes/messages.ts";
import { notificationRoutes } from "./routes/notifications.ts";
import { participantRoutes } from "./routes/participants.ts";
import { presenceRoutes } from "./routes/presences.ts";
import type {
  Handler,
  RouteDeps,
  RouteRequest,
  RouteResult,
  RouteTable,
} from "./routes/_shared.ts";
import { userRoutes } from "./routes/users.ts";

interface Route {
  method: string;
  pattern: string;
  segments: string[];
  handler: Handler;
}

/** @internal A request matched to its endpoint, with the path's IDs. */
export interface RouteMatch {
  /** The stats key: `"GET /users/:userId"`. */
  key: string;
  route: Route;
  params: Record<string, string>;
}

/** @internal The emulator's endpoints, callable from HTTP and from /batch. */
export interface Router {
  /** The endpoint for `path` (after `/v1/{appId}`, no query), if any. */
  match(method: string, path: string): RouteMatch | undefined;
  /**
   * Runs the endpoint for the request: `found`, when the caller matched it
   * already, else matched here.
   */
  execute(request: RouteRequest, found?: RouteMatch): Promise<RouteResult>;
}

/** @internal What the routes need. */
export interface RouterDeps extends RouteDeps {
  /** The app ID, part of each participant's email address. */
  appId: string;
  /** 0 when a /batch request may run now, else whole seconds to wait. */
  batchGate(): number;
}

function compile(table: RouteTable): Route[] {
  return Object.entries(table).map(([key, handler]) => {
    const [method, pattern] = key.split(" ") as [string, string];
    return { method, pattern, segments: pattern.split("/").slice(1), handler };
  });
}

/** The path's IDs when `parts` fit `route`'s segments, else undefined. */
function paramsOf(
  route: Route,
  parts: string[],
): Record<string, string> | undefined {
  if (route.segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const want = route.segments[i]!;
    const got = parts[i]!;
    if (!want.startsWith(":")) {
      if (want !== got) return undefined;
      continue;
    }
    if (got === "") return undefined;
    try {
      params[want.slice(1)] = decodeURIComponent(got);
    } catch {
      return undefined;
    }
  }
  return params;
}

/** The answer of a handler, or of the HttpError it threw. */
async function run(
  found: RouteMatch,
  { query, body, version, origin }: RouteRequest,
): Promise<RouteResult> {
  try {
    const ctx = { params: found.params, query, body, version, origin };
    return { status: 200, body: (await found.route.handler(ctx)) ?? {} };
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return {
      status: error.status,
      body: errorBody(error.status, error.reasons),
      ...(error.headers ? { headers: error.headers } : {}),
    };
  }
}

/** @internal Wires every family of routes over `deps.store`. */
export function createRouter(deps: RouterDeps): Router {
  const routes: Route[] = [
    userRoutes(deps),
    conversationRoutes(deps),
    participantRoutes(deps),
    messageRoutes(deps),
    notificationRoutes(deps),
    presenceRoutes(deps),
    fileRoutes(deps),
    batchRoutes({ appId: deps.appId, execute, batchGate: deps.batchGate }),
  ].flatMap(compile);

  function match(method: string, path: string): RouteMatch | undefined {
    const parts = path.split("/").slice(1);
    for (const route of routes) {
      if (route.method !== method) continue;
      const params = paramsOf(route, parts);
      if (params) return { key: `${method} ${route.pattern}`, route, params };
    }
    return undefined;
  }

  function execute(
    request: RouteRequest,
    found = match(request.method, request.path),
  ): Promise<RouteResult> {
    if (!found) {
      const { method, path } = request;
      return Promise.resolve({
        status: 404,
        body: errorBody(404, { path: `no endpoint ${method} ${path}` }),
      });
    }
    return run(found, request);
  }

  return { match, execute };
}
