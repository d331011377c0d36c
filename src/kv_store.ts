import { type Clock, systemClock } from "./clock.ts";
import type { LimiterStore, ReserveOptions } from "./_gcra.ts";
import { checkReserve, gcra } from "./_gcra.ts";
import {
  fail,
  requireClock,
  requireInt,
  requireObject,
  show,
} from "./_validate.ts";

// The `./kv` entry point's signatures name these; re-exported so that its
// documentation is complete on its own.
export type { Clock, LimiterStore, ReserveOptions };

/**
 * One part of a key in Deno KV (the subset this module writes).
 */
export type KvKeyPart = Uint8Array | string | number | bigint | boolean;

/**
 * The part of Deno KV's atomic operation that {@linkcode kvStore} uses.
 *
 * @example Deno KV's atomic operation fits
 * ```ts
 * import type { KvAtomicLike } from "@unofficial/talkjs-rest/kv";
 *
 * const kv = await Deno.openKv(":memory:");
 * const operation: KvAtomicLike = kv.atomic();
 * const { ok } = await operation.check({ key: ["greeting"], versionstamp: null })
 *   .set(["greeting"], "hi", { expireIn: 60_000 })
 *   .commit();
 * console.log(ok, (await kv.get(["greeting"])).value); // true hi
 * kv.close();
 * ```
 */
export interface KvAtomicLike {
  /**
   * Makes the commit fail unless each key still has the given versionstamp.
   * @param checks Keys and the versionstamps they must have (`null`: absent).
   * @returns The same operation.
   */
  check(
    ...checks: { key: readonly KvKeyPart[]; versionstamp: string | null }[]
  ): KvAtomicLike;
  /**
   * Writes a value when the operation commits.
   * @param key The key.
   * @param value The value.
   * @param options `expireIn`: a time to live in milliseconds.
   * @returns The same operation.
   */
  set(
    key: readonly KvKeyPart[],
    value: unknown,
    options?: { expireIn?: number },
  ): KvAtomicLike;
  /**
   * Applies the operation if every check holds.
   * @returns `ok: false` when a check failed.
   */
  commit(): Promise<{ ok: boolean }>;
}

/**
 * The part of `Deno.Kv` that {@linkcode kvStore} uses, so that this module
 * needs no Deno types: pass `await Deno.openKv()`.
 *
 * @example Pass Deno KV as it is
 * ```ts
 * import { type KvLike, kvStore } from "@unofficial/talkjs-rest/kv";
 *
 * const kv = await Deno.openKv(":memory:");
 * const like: KvLike = kv; // Deno.Kv fits structurally; so would an adapter over another store
 * const store = kvStore(like);
 * console.log(await store.reserve("app", { now: 0, intervalMs: 100, burst: 1 })); // 0
 * kv.close();
 * ```
 */
export interface KvLike {
  /**
   * Reads one key.
   * @param key The key.
   * @returns Its value and versionstamp, both `null` when absent.
   */
  get(
    key: readonly KvKeyPart[],
  ): Promise<{ value: unknown; versionstamp: string | null }>;
  /**
   * Starts an atomic operation.
   * @returns The operation.
   */
  atomic(): KvAtomicLike;
}

/**
 * How {@linkcode kvStore} keeps limiter state.
 */
export interface KvStoreOptions {
  /**
   * Where in the KV database the state lives: the limiter's key is appended.
   * @default {["talkjs-rest", "limiter"]}
   */
  prefix?: readonly KvKeyPart[];
  /**
   * How many times one reservation is tried when other writers get in the
   * way (a failed check, or "database is locked" when several processes
   * share one KV file) before the last failure is thrown.
   * @default {100}
   */
  maxAttempts?: number;
  /**
   * Where the short pauses between two tries happen, and how long a retried
   * reservation took: a retry books at the caller's `now` plus the time
   * elapsed since the call, on this clock.
   * @default {systemClock}
   */
  clock?: Clock;
}

// SQLite answers this when two processes write one KV file at once; the
// write did not happen, so trying again is safe.
function isLocked(error: unknown): boolean {
  return error instanceof Error &&
    /database is (locked|busy)/i.test(error.message);
}

/** Checks a key prefix: an array of Deno KV's key parts (strings, numbers, bigints, booleans and bytes). */
function checkPrefix(what: string, prefix: unknown): void {
  if (!Array.isArray(prefix)) {
    fail(what, "prefix", "an array of key parts", prefix);
  }
  prefix.forEach((part: unknown, i) => {
    if (
      !["string", "number", "bigint", "boolean"].includes(typeof part) &&
      !(part instanceof Uint8Array)
    ) {
      fail(
        what,
        `prefix[${i}]`,
        "a string, number, bigint, boolean or Uint8Array",
        part,
      );
    }
  });
}

/**
 * A {@linkcode LimiterStore} in Deno KV, so that every isolate and process of
 * an app shares one rate-limit budget. Each reservation is one atomic
 * check-and-set of the key's theoretical arrival time, retried when another
 * writer got in first (or the file was locked), at the time of the try that
 * succeeds. Keys expire a minute after they stop mattering.
 *
 * @param kv A Deno KV database: `await Deno.openKv()`.
 * @param options Key prefix, attempts and clock.
 * @returns A store for {@linkcode createLimiter}.
 *
 * @example Book slots in KV (burst 2, one every 100 ms)
 * ```ts
 * import { kvStore } from "@unofficial/talkjs-rest/kv";
 *
 * const kv = await Deno.openKv(":memory:");
 * const store = kvStore(kv);
 * const slot = { now: 0, intervalMs: 100, burst: 2 };
 * console.log(await store.reserve("app", slot)); // 0
 * console.log(await store.reserve("app", slot)); // 0
 * console.log(await store.reserve("app", slot)); // 100
 * kv.close();
 * ```
 *
 * @example Two stores on one database share a budget, under your own prefix
 * ```ts
 * import { kvStore } from "@unofficial/talkjs-rest/kv";
 * import { createManualClock } from "@unofficial/talkjs-rest/testing";
 *
 * const kv = await Deno.openKv(":memory:");
 * const options = { prefix: ["my-app", "talkjs-limiter", 2], maxAttempts: 10, clock: createManualClock() };
 * const [a, b] = [kvStore(kv, options), kvStore(kv, options)];
 * const slot = { now: 0, intervalMs: 100, burst: 1 };
 * console.log(await a.reserve("tMyApp", slot), await b.reserve("tMyApp", slot)); // 0 100
 * console.log((await kv.get(["my-app", "talkjs-limiter", 2, "tMyApp"])).value); // 200
 * kv.close();
 * ```
 */
export function kvStore(
  kv: KvLike,
  options: KvStoreOptions = {},
): LimiterStore {
  const what = "create a KV store";
  if (typeof kv?.get !== "function" || typeof kv.atomic !== "function") {
    fail(what, "kv", "a Deno.Kv", kv);
  }
  requireObject(what, "options", options);
  const {
    prefix = ["talkjs-rest", "limiter"],
    maxAttempts = 100,
    clock = systemClock,
  } = options;
  checkPrefix(what, prefix);
  requireInt(what, "maxAttempts", maxAttempts, 1, Infinity);
  requireClock(what, "clock", clock);
  const base = [...prefix];

  return {
    async reserve(
      key: string,
      reserveOptions: ReserveOptions,
    ): Promise<number> {
      const checked = checkReserve(key, reserveOptions);
      const kvKey = [...base, key];
      const started = clock.now();
      for (let attempt = 1;; attempt++) {
        try {
          const entry = await kv.get(kvKey);
          const stored = typeof entry.value === "number"
            ? entry.value
            : undefined;
          // A retry books at its own time, not the call's: booked at a
          // stale `now`, a slot lands in the past, and the request after it
          // may follow at once (two go out together that the books space an
          // interval apart). On the caller's clock: its `now` plus the time
          // this store's clock saw pass.
          const now = attempt === 1
            ? checked.now
            : checked.now + Math.max(0, clock.now() - started);
          const { tat, at } = gcra(stored, { ...checked, now });
          const expireIn = Math.ceil(tat - now) + 60_000;
          const result = await kv.atomic()
            .check({ key: kvKey, versionstamp: entry.versionstamp })
            .set(kvKey, tat, { expireIn })
            .commit();
          if (result.ok) return at;
          if (attempt >= maxAttempts) {
            throw new Error(
              `Cannot reserve a slot in KV as other writers won ${attempt} times in a row: key ${
                show(key)
              }`,
            );
          }
        } catch (error) {
          if (!isLocked(error) || attempt >= maxAttempts) throw error;
        }
        // A short random pause, growing with the attempts, so that writers
        // that collided do not collide again in step.
        await clock.sleep(Math.random() * Math.min(50, 2 ** attempt));
      }
    },
  };
}
