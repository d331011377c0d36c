import type { ListFn, ListParams } from "./types.ts";
import {
  fail,
  isCount,
  requireFunction,
  requireInt,
  requireNumber,
  requireSignal,
  show,
} from "./_validate.ts";

/**
 * What {@linkcode PaginateParams.onPage} is told after each page request.
 */
export interface PageInfo {
  /** Which page this was: 1 for the first request. */
  page: number;
  /** How many records this page brought (after trimming to `maxItems`). */
  items: number;
  /** How many records all pages so far brought. */
  total: number;
}

/**
 * The parameters of {@linkcode paginate} and `listAll`, on top of the list's
 * own filters.
 */
export interface PaginateParams extends ListParams {
  /**
   * Page size, from 1 to the list's `maxLimit`.
   * @default {list.maxLimit}
   */
  limit?: number;
  /**
   * Stop after this many records: a non-negative integer or `Infinity`. The
   * last request asks only for what remains.
   * @default {Infinity}
   */
  maxItems?: number;
  /**
   * Called after each page request, e.g. to report progress.
   * @default {undefined}
   */
  onPage?: (info: PageInfo) => void;
}

const what = "paginate";

/**
 * The ID the records of page `page` end at: the next page starts after it.
 * Throws when the last record has no string `id`, or when it is `cursor`
 * again: a list that ignores `startingAfter` would be walked forever.
 */
function nextCursor(
  page: number,
  items: readonly { id?: unknown }[],
  cursor: unknown,
): string {
  const last = items[items.length - 1]?.id;
  if (typeof last !== "string") {
    throw new TypeError(
      `Cannot ${what} as the last record of page ${page} has no string 'id': current value is ${
        show(last)
      }`,
    );
  }
  if (last === cursor) {
    throw new TypeError(
      `Cannot ${what} as the list did not move past 'startingAfter': page ${page} ends at ${
        show(last)
      } again`,
    );
  }
  return last;
}

/**
 * Walks a list endpoint page by page: each page starts after the last record
 * of the one before, and the walk stops on a short or empty page, or once
 * `maxItems` records came. Pages are as large as the list allows unless
 * `limit` says otherwise, so the walk takes the fewest requests. Nothing is
 * kept between pages. `signal` reaches every page request. Bad arguments
 * throw at once, before any request.
 *
 * @param list Any {@linkcode ListFn}, e.g. `talk.users.list`.
 * @param params The list's own filters, plus `limit`, `maxItems`, `onPage`, `startingAfter` and `signal`.
 * @returns An async generator of pages (arrays of records).
 *
 * @example Page through any list function
 * ```ts
 * import { type ListFn, paginate } from "@unofficial/talkjs-rest";
 *
 * const ids = Array.from({ length: 7 }, (_, i) => ({ id: `u${i}` }));
 * const list: ListFn<{ id: string }> = Object.assign(
 *   ({ limit = 10, startingAfter }: { limit?: number; startingAfter?: string } = {}) => {
 *     const from = startingAfter ? ids.findIndex((u) => u.id === startingAfter) + 1 : 0;
 *     return Promise.resolve({ data: ids.slice(from, from + limit) });
 *   },
 *   { maxLimit: 3 },
 * );
 * for await (const page of paginate(list)) console.log(page.map((u) => u.id));
 * // ["u0", "u1", "u2"], then ["u3", "u4", "u5"], then ["u6"]
 * ```
 *
 * @example Take at most 100 users, 50 a page, reporting progress
 * ```ts
 * import { createClient, paginate } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 *
 * await talk.users.putMany(Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`u${i}`, { name: `User ${i}` }])));
 * await Array.fromAsync(paginate(talk.users.list, {
 *   limit: 50,
 *   maxItems: 100,
 *   onPage: ({ page, items, total }) => console.log(`page ${page}: ${items} users, ${total} so far`),
 * }));
 * // page 1: 50 users, 50 so far
 * // page 2: 50 users, 100 so far
 * ```
 */
// deno-lint-ignore ban-types
export function paginate<T extends { id: string }, P = {}>(
  list: ListFn<T, P>,
  params?: PaginateParams & P,
): AsyncGenerator<T[], void, undefined> {
  requireFunction(what, "list", list);
  const maxLimit = requireInt(
    what,
    "list.maxLimit",
    list.maxLimit,
    1,
    Infinity,
  );
  if (params !== undefined && (typeof params !== "object" || !params)) {
    fail(what, "params", "an object", params);
  }
  const {
    limit: pageSize = maxLimit,
    maxItems = Infinity,
    onPage,
    startingAfter,
    signal,
    ...filters
  } = (params ?? {}) as PaginateParams & Record<string, unknown>;
  requireInt(what, "limit", pageSize, 1, maxLimit);
  requireNumber(
    what,
    "maxItems",
    maxItems,
    "a non-negative integer or Infinity",
    isCount,
  );
  requireFunction(what, "onPage", onPage, true);
  requireSignal(what, "signal", signal);

  return (async function* pages(): AsyncGenerator<T[], void, undefined> {
    let cursor = startingAfter;
    let total = 0;
    let page = 0;
    while (total < maxItems) {
      signal?.throwIfAborted();
      const want = Math.min(pageSize, maxItems - total);
      const request = {
        ...filters,
        limit: want,
        ...(cursor !== undefined ? { startingAfter: cursor } : {}),
        ...(signal ? { signal } : {}),
      } as unknown as ListParams & P;
      const answer = await list(request);
      const data: unknown = answer?.data;
      page++;
      if (!Array.isArray(data)) {
        throw new TypeError(
          `Cannot ${what} as page ${page} has no 'data' array: current value is ${
            show(data)
          }`,
        );
      }
      // A list that ignores `limit` must not make us yield past `maxItems`.
      const items = data.slice(0, want) as T[];
      total += items.length;
      onPage?.({ page, items: items.length, total });
      if (items.length === 0) return;
      const last = nextCursor(page, items, cursor);
      yield items;
      if (items.length < want) return;
      cursor = last;
    }
  })();
}
