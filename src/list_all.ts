import type { ListFn } from "./types.ts";
import { paginate, type PaginateParams } from "./paginate.ts";

/**
 * Walks a list endpoint record by record, in constant memory: the pages of
 * {@linkcode paginate}, flattened. Stops on a short or empty page, or after
 * `maxItems` records. Bad arguments throw at once, before any request.
 *
 * @param list Any {@linkcode ListFn}, e.g. `talk.users.list`.
 * @param params The list's own filters, plus `limit`, `maxItems`, `onPage`, `startingAfter` and `signal`.
 * @returns An async generator of records.
 *
 * @example Collect the first five records of any list function
 * ```ts
 * import { type ListFn, listAll } from "@unofficial/talkjs-rest";
 *
 * const ids = Array.from({ length: 12 }, (_, i) => ({ id: `m${i}` }));
 * const list: ListFn<{ id: string }> = Object.assign(
 *   ({ limit = 10, startingAfter }: { limit?: number; startingAfter?: string } = {}) => {
 *     const from = startingAfter ? ids.findIndex((m) => m.id === startingAfter) + 1 : 0;
 *     return Promise.resolve({ data: ids.slice(from, from + limit) });
 *   },
 *   { maxLimit: 4 },
 * );
 * const first = await Array.fromAsync(listAll(list, { maxItems: 5 }));
 * console.log(first.map((m) => m.id)); // ["m0", "m1", "m2", "m3", "m4"]
 * ```
 */
// deno-lint-ignore ban-types
export function listAll<T extends { id: string }, P = {}>(
  list: ListFn<T, P>,
  params?: PaginateParams & P,
): AsyncGenerator<T, void, undefined> {
  const pages = paginate(list, params);
  return (async function* records(): AsyncGenerator<T, void, undefined> {
    for await (const page of pages) yield* page;
  })();
}
