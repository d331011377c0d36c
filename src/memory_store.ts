import type { LimiterStore, ReserveOptions } from "./_gcra.ts";
import { checkReserve, gcra } from "./_gcra.ts";

/**
 * A {@linkcode LimiterStore} in this isolate's memory: the default of
 * {@linkcode createLimiter}. Limiters sharing one store and one key share one
 * budget. For several isolates or processes, use `kvStore` from
 * `@unofficial/talkjs-rest/kv` (Deno) or `redisStore` from
 * `@unofficial/talkjs-rest/redis` (Node and Bun fleets).
 *
 * @returns A store holding one theoretical arrival time per key.
 *
 * @example Book slots directly (burst 2, one every 100 ms)
 * ```ts
 * import { memoryStore } from "@unofficial/talkjs-rest";
 *
 * const store = memoryStore();
 * const slot = { now: 0, intervalMs: 100, burst: 2 };
 * console.log(await store.reserve("app", slot)); // 0
 * console.log(await store.reserve("app", slot)); // 0
 * console.log(await store.reserve("app", slot)); // 100
 * ```
 */
export function memoryStore(): LimiterStore {
  const tats = new Map<string, number>();
  return {
    reserve(key: string, options: ReserveOptions): Promise<number> {
      try {
        const checked = checkReserve(key, options);
        const stored = tats.get(key);
        const { tat, at } = gcra(stored, checked);
        tats.set(key, tat);
        return Promise.resolve(at);
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}
