import { isOtherApp, OTHER_APP } from "../_auth.ts";
import { errorBody, HttpError, outsideApi, splitApiPath } from "../_http.ts";
import { assertValid, isObject, requireBodyArray, show } from "../_validate.ts";
import { isApiVersion } from "../_versions.ts";
import type {
  Execute,
  RouteContext,
  RouteResult,
  RouteTable,
} from "./_shared.ts";

/** @internal What `/batch` needs: the app ID, the endpoints, and the 1 request/s gate. */
export interface BatchDeps {
  /** The app ID the operations' paths are appended to (`/v1/{appId}`). */
  appId: string;
  execute: Execute;
  /** 0 when a /batch request may run now, else whole seconds to wait. */
  batchGate(): number;
}

const BATCH_METHODS = ["GET", "PUT", "POST", "PATCH", "DELETE"];

type Operation = [
  string | number,
  string,
  string,
  unknown?,
  { api_version?: string }?,
];

/** Whether `op` is `[seq, method, path, payload?, options?]`. */
function isOperation(op: unknown): op is Operation {
  return Array.isArray(op) && op.length >= 3 && op.length <= 5 &&
    (typeof op[0] === "string" || typeof op[0] === "number") &&
    typeof op[1] === "string" &&
    BATCH_METHODS.includes(op[1].toUpperCase()) &&
    typeof op[2] === "string" && op[2].startsWith("/") &&
    (op.length < 5 ||
      isObject(op[4]) &&
        (op[4].api_version === undefined ||
          isApiVersion(op[4].api_version))) &&
    // A GET's payload is its query parameters.
    (op[1].toUpperCase() !== "GET" || op[3] === undefined || isObject(op[3]));
}

/**
 * `target` as TalkJS reads it, "appended to `/v1/{appId}`": the URL the same
 * path sent directly would have (`//evil/x` stays a path, not a host; `/..`
 * leaves the prefix). It cannot fail to parse: `target` starts with "/", so
 * the whole is a path under the base, with no host to read.
 */
function operationUrl(appId: string, target: string): URL {
  return new URL(
    `/v1/${encodeURIComponent(appId)}${target}`,
    "http://batch.invalid",
  );
}

/** Up to 10 operations, each well formed, or a 400 naming every bad one. */
function checkedOperations(body: unknown): Operation[] {
  const ops = requireBodyArray(body, 10);
  const found: [string, string][] = [];
  ops.forEach((op, i) => {
    if (isOperation(op)) return;
    found.push([
      `[${i}]`,
      `must be [seq, method, path, payload?, options?] with method one of ${
        BATCH_METHODS.join(", ")
      }, a path starting with "/", a GET's payload an object of query parameters and options an object (its api_version a date like "2021-02-09"): current value is ${
        show(op)
      }`,
    ]);
  });
  assertValid(found);
  return ops as Operation[];
}

/** @internal `POST /batch`: up to 10 operations, run in order. */
export function batchRoutes(
  { appId, execute, batchGate }: BatchDeps,
): RouteTable {
  /** What the same request sent directly would answer. */
  function runOperation(
    [, method, target, payload, options]: Operation,
    { version, origin }: RouteContext,
  ): Promise<RouteResult> | RouteResult {
    const url = operationUrl(appId, target);
    const m = method.toUpperCase();
    if (m === "GET" && payload !== undefined) {
      for (const [k, v] of Object.entries(payload as object)) {
        url.searchParams.set(k, String(v));
      }
    }
    const found = splitApiPath(url.pathname);
    if (!found) {
      return { status: 404, body: errorBody(404, outsideApi(url.pathname)) };
    }
    if (isOtherApp(appId, found.pathAppId)) {
      return { status: 401, body: errorBody(401, { ...OTHER_APP }) };
    }
    if (found.path === "/batch") {
      return {
        status: 400,
        body: errorBody(400, { path: "a batch cannot contain /batch" }),
      };
    }
    return execute({
      method: m,
      path: found.path,
      query: url.searchParams,
      body: m === "GET" ? undefined : payload,
      // An operation's own api_version overrides the request's.
      version: options?.api_version ?? version,
      origin,
    });
  }

  async function batch(ctx: RouteContext): Promise<unknown> {
    const ops = checkedOperations(ctx.body);
    const retryAfter = batchGate();
    if (retryAfter > 0) {
      throw new HttpError(
        429,
        { batch: "at most 1 batch request per second" },
        { "retry-after": String(retryAfter) },
      );
    }
    const results: [string | number, number, unknown][] = [];
    for (const op of ops) {
      const result = await runOperation(op, ctx);
      results.push([op[0], result.status, result.body]);
    }
    return results;
  }

  return { "POST /batch": batch };
}
