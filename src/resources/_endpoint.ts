import type { ListFn, ListParams, Page } from "../types.ts";
import type { Expect, HttpMethod, QueryValue, RequestFn } from "../_types.ts";
import {
  requireId,
  requireInt,
  requireObject,
  requireOptions,
  requireSignal,
} from "../_validate.ts";

/** The query parameters of the conversation lists. */
export const CONVERSATION_FILTERS: readonly string[] = [
  "lastMessageBefore",
  "lastMessageAfter",
  "orderBy",
  "orderDirection",
  "offsetTs",
];

/** Path segments from a template's parts: `:name` takes the ID `name` from `ids` (validated). */
function segmentsOf(
  what: string,
  parts: readonly string[],
  ids: (name: string) => unknown,
): string[] {
  return parts.map((part) =>
    part[0] === ":" ? requireId(what, part.slice(1), ids(part.slice(1))) : part
  );
}

/**
 * Builds a resource method from its endpoint: `path` is a template such as
 * `"conversations/:conversationId/messages/:messageId"` whose `:name` parts
 * are the method's first arguments (non-empty strings, validated in order).
 * With `input`, the next argument is the body (an object, sent as JSON unless
 * a `FormData`; `input` may check it further; `"optional"`: `{}` when left
 * out). The last argument is
 * `{ signal }`. With `answer`, the method answers the parsed body, which
 * must carry that field with a value of that type (a GET's record its
 * string `id`, by default); without, it answers nothing.
 */
export function endpoint<F>(
  request: RequestFn,
  what: string,
  method: HttpMethod,
  path: string,
  input?: "optional" | ((input: Record<string, unknown>) => void) | true,
  answer: [field: string, type: "string" | "object"] | undefined =
    method === "GET" ? ["id", "string"] : undefined,
): F {
  const expect: Expect | undefined = answer && ((body) => {
    const [field, type] = answer;
    const value = (body as Record<string, unknown> | null)?.[field];
    return typeof value !== type || !value
      ? `{ ${field}: ${type} }`
      : undefined;
  });
  const parts = path.split("/");
  // Not an async function: a call queued behind the limiter would hold its
  // frame (arguments and all) until its turn.
  return function resourceMethod(...args: unknown[]): Promise<unknown> {
    let i = 0;
    let body: unknown;
    let sent: Promise<unknown>;
    try {
      const segments = segmentsOf(what, parts, () => args[i++]);
      if (input) {
        body = args[i++];
        if (body === undefined && input === "optional") body = {};
        const checked = requireObject(what, "input", body);
        if (typeof input === "function") input(checked);
      }
      // Like a default parameter: `undefined` becomes `{}`; anything but an
      // object with an AbortSignal (or no signal) throws, naming it.
      const { signal } = requireOptions(what, args[i]);
      sent = request(method, segments, { body, signal }, expect);
    } catch (error) {
      return Promise.reject(error);
    }
    return answer ? sent : sent.then(() => undefined);
  } as F;
}

const isPage: Expect = (body) =>
  Array.isArray((body as Page<unknown> | null)?.data)
    ? undefined
    : "{ data: [...] }";

/**
 * Builds a {@linkcode ListFn} for `GET path`: validates `params`, `limit`,
 * `startingAfter` and the path's `:name` IDs (taken from `params`), passes
 * the `filters` named on as query parameters and checks that the answer is
 * a page.
 */
// deno-lint-ignore ban-types
export function listFn<T, P = {}>(
  request: RequestFn,
  what: string,
  maxLimit: number,
  path: string,
  filters: readonly string[] = [],
): ListFn<T, P> {
  const parts = path.split("/");
  const list = async (params?: ListParams & P): Promise<Page<T>> => {
    const p = requireObject(what, "params", params ?? {});
    const { limit, startingAfter } = p;
    if (limit !== undefined) requireInt(what, "limit", limit, 1, maxLimit);
    if (startingAfter !== undefined) {
      requireId(what, "startingAfter", startingAfter);
    }
    const query: Record<string, QueryValue> = {
      limit: limit as number | undefined,
      startingAfter: startingAfter as string | undefined,
    };
    const segments = segmentsOf(what, parts, (name) => p[name]);
    for (const name of filters) query[name] = p[name] as QueryValue;
    return await request<Page<T>>("GET", segments, {
      query,
      signal: requireSignal(what, "signal", p.signal),
    }, isPage);
  };
  return Object.assign(list, { maxLimit });
}
