import type { ListFn, ListParams, Page } from "../types.ts";
import { listQuery, type RequestFn } from "../_http.ts";
import { requireObject, show } from "../_validate.ts";
import { TalkJsApiError } from "../errors.ts";

/**
 * Builds a {@linkcode ListFn}: validates `limit`/`startingAfter`, sends the
 * GET and checks that the answer is a page.
 */
// deno-lint-ignore ban-types
export function listFn<T, P = {}>(
  request: RequestFn,
  what: string,
  maxLimit: number,
  build: (params: ListParams & P) => {
    segments: string[];
    query?: Record<string, string | number | boolean | undefined>;
  },
): ListFn<T, P> {
  const list = async (params?: ListParams & P): Promise<Page<T>> => {
    const p = (params ?? {}) as ListParams & P;
    requireObject(what, "params", p);
    const base = listQuery(what, maxLimit, p);
    const { segments, query } = build(p);
    const page = await request<Page<T>>("GET", segments, {
      query: { ...base, ...query },
      signal: p.signal,
    });
    if (
      typeof page !== "object" || page === null || !Array.isArray(page.data)
    ) {
      throw new TalkJsApiError({
        status: 200,
        method: "GET",
        path: segments.join("/"),
        body: `expected { data: [...] }, got ${show(page)}`,
      });
    }
    return page;
  };
  return Object.assign(list, { maxLimit });
}
