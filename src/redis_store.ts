import { type Clock, systemClock } from "./clock.ts";
import type { LimiterStore, ReserveOptions } from "./_gcra.ts";
import { checkReserve } from "./_gcra.ts";
import {
  fail,
  requireClock,
  requireNumber,
  requireObject,
  show,
} from "./_validate.ts";

// The `./redis` entry point's signatures name these; re-exported so that its
// documentation is complete on its own.
export type { Clock, LimiterStore, ReserveOptions };

/**
 * The part of a Redis client that {@linkcode redisStore} uses: `EVAL` with
 * the keys and the arguments apart, as `@upstash/redis` has it. ioredis and
 * node-redis fit through a one-line adapter.
 *
 * @example Adapt ioredis and node-redis
 * ```ts
 * import type { RedisLike } from "@unofficial/talkjs-rest/redis";
 *
 * // ioredis: eval(script, numKeys, ...keys, ...args)
 * type IoRedis = { eval(script: string, numKeys: number, ...rest: string[]): Promise<unknown> };
 * const fromIoRedis = (redis: IoRedis): RedisLike => ({
 *   eval: (script, keys, args) => redis.eval(script, keys.length, ...keys, ...args),
 * });
 * // node-redis v4+: eval(script, { keys, arguments })
 * type NodeRedis = {
 *   eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
 * };
 * const fromNodeRedis = (redis: NodeRedis): RedisLike => ({
 *   eval: (script, keys, args) => redis.eval(script, { keys, arguments: args }),
 * });
 * console.log(typeof fromIoRedis, typeof fromNodeRedis); // function function
 * ```
 */
export interface RedisLike {
  /**
   * Runs a Lua script on the server (`EVAL`).
   * @param script The script.
   * @param keys The keys it touches (`KEYS`).
   * @param args Its other arguments (`ARGV`).
   * @returns What the script returned.
   */
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
}

/** How {@linkcode redisStore} keeps limiter state and how long it waits for Redis. */
export interface RedisStoreOptions {
  /**
   * Prepended to the limiter's key to name the Redis key.
   * @default {"talkjs-rest:limiter:"}
   */
  prefix?: string;
  /**
   * How long one reservation waits for Redis before it fails, in
   * milliseconds. For one more timeout after a call timed out (unless Redis
   * answers meanwhile), further calls fail at once, so a queue of callers
   * drains in one timeout, not one each.
   * @default {2000}
   */
  timeoutMs?: number;
  /**
   * Where the timeout is waited on and the round trip timed: pass the
   * limiter's clock. Slots are on Redis's clock; this clock only has to run
   * at the speed of real time.
   * @default {systemClock}
   */
  clock?: Clock;
}

// GCRA on Redis's own clock, so that the machines' clock skew cannot hand out
// extra slots. KEYS[1]: the budget; ARGV: the interval (ms) and the burst.
// Stores the theoretical arrival time (ms, full precision) for exactly as
// long as it matters: once it has passed, no key and an old key mean the same.
// Answers the wait in whole microseconds (Redis turns a Lua number into an
// integer). Scripts replicate their effects since Redis 5; older servers
// need replicate_commands before TIME.
const SCRIPT = `if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then tat = now end
local nextTat = tat + interval
redis.call('SET', KEYS[1], string.format('%.17g', nextTat), 'PX', string.format('%.0f', math.ceil(nextTat - now)))
local wait = tat - (burst - 1) * interval - now
if wait <= 0 then return 0 end
return math.ceil(wait * 1000)`;

/** Reads the script's answer: whole microseconds, as a number or a string. */
function readWait(answer: unknown, key: string): number {
  const micros = typeof answer === "number"
    ? answer
    : typeof answer === "string" && answer.trim() !== ""
    ? Number(answer)
    : NaN;
  if (!Number.isFinite(micros) || micros < 0) {
    throw new TypeError(
      `Cannot reserve a slot in Redis as the script answered ${
        show(answer)
      }, not a wait in microseconds: key ${
        show(key)
      } (does client.eval pass the keys and the arguments through?)`,
    );
  }
  return micros / 1000;
}

/** Checks the arguments of {@linkcode redisStore}; answers its options with defaults. */
function resolveRedisOptions(
  client: RedisLike,
  options: RedisStoreOptions,
): Required<RedisStoreOptions> {
  const what = "create a Redis store";
  if (typeof client?.eval !== "function") {
    fail(
      what,
      "client",
      "a Redis client with eval(script, keys, args)",
      client,
    );
  }
  requireObject(what, "options", options);
  const {
    prefix = "talkjs-rest:limiter:",
    timeoutMs = 2000,
    clock = systemClock,
  } = options;
  if (typeof prefix !== "string") fail(what, "prefix", "a string", prefix);
  requireNumber(
    what,
    "timeoutMs",
    timeoutMs,
    "a positive number (Infinity: no timeout)",
    (n) => n > 0,
  );
  requireClock(what, "clock", clock);
  return { prefix, timeoutMs, clock };
}

/**
 * A {@linkcode LimiterStore} in Redis, so that the processes and machines of
 * a Node or Bun fleet share one rate-limit budget. Each reservation is one
 * atomic Lua script (GCRA on Redis's own clock, `TIME`); idle keys expire.
 * The answer is Redis's wait, moved onto the caller's clock. A Redis that is
 * down or slow fails the call after `timeoutMs` with an error naming Redis;
 * it never hangs the limiter's queue.
 *
 * @param client A Redis client with `eval(script, keys, args)`:
 *   `@upstash/redis` as it is; ioredis or node-redis through a one-line
 *   adapter (see {@linkcode RedisLike}).
 * @param options Key prefix, timeout and clock.
 * @returns A store for {@linkcode createLimiter}.
 *
 * @example Share one budget across a fleet (ioredis; needs a Redis server)
 * ```ts ignore
 * import { Redis } from "ioredis";
 * import { createClient, createLimiter } from "@unofficial/talkjs-rest";
 * import { redisStore } from "@unofficial/talkjs-rest/redis";
 *
 * const redis = new Redis(process.env.REDIS_URL!);
 * const store = redisStore({
 *   eval: (script, keys, args) => redis.eval(script, keys.length, ...keys, ...args),
 * });
 * const limiter = createLimiter({ store, key: process.env.TALKJS_APP_ID! });
 * const talk = createClient({
 *   appId: process.env.TALKJS_APP_ID!,
 *   secretKey: process.env.TALKJS_SECRET_KEY!,
 *   limiter,
 * });
 * ```
 *
 * @example A Redis that does not answer fails the call, naming Redis
 * ```ts
 * import { redisStore } from "@unofficial/talkjs-rest/redis";
 *
 * const silent = { eval: () => new Promise<unknown>(() => {}) };
 * const store = redisStore(silent, { timeoutMs: 20 });
 * const error = await store.reserve("app", { now: 0, intervalMs: 100, burst: 1 })
 *   .catch((e: Error) => e);
 * console.log(String(error)); // Error: Cannot reserve a slot in Redis as it did not answer within 20 ms: key "app"
 * ```
 */
export function redisStore(
  client: RedisLike,
  options: RedisStoreOptions = {},
): LimiterStore {
  const { prefix, timeoutMs, clock } = resolveRedisOptions(client, options);
  // When a call last timed out, until Redis answers again: for one more
  // timeout after it, calls fail at once instead of queueing behind it in
  // the client, so a queue of callers drains in one timeout, not one each.
  let timedOutAt: number | undefined;

  async function call(key: string, args: string[]): Promise<unknown> {
    if (timedOutAt !== undefined) {
      const ago = clock.now() - timedOutAt;
      if (ago < timeoutMs) {
        throw new Error(
          `Cannot reserve a slot in Redis as it did not answer another call within ${timeoutMs} ms (${
            Math.round(ago)
          } ms ago): key ${show(key)}`,
        );
      }
    }
    let answer: Promise<unknown>;
    try {
      answer = Promise.resolve(client.eval(SCRIPT, [prefix + key], args));
    } catch (error) {
      answer = Promise.reject(error);
    }
    const answered = () => timedOutAt = undefined;
    answer.then(answered, answered);
    const timer = new AbortController();
    const timedOut = Symbol("timed out");
    const expired = clock.sleep(timeoutMs, timer.signal).then(
      () => timedOut,
      () => undefined,
    );
    try {
      const first = await Promise.race([answer, expired]);
      if (first !== timedOut) return first;
    } catch (error) {
      throw new Error(
        `Cannot reserve a slot in Redis: ${
          (error as Error)?.message ?? show(error)
        }: key ${show(key)}`,
        { cause: error },
      );
    } finally {
      timer.abort();
    }
    timedOutAt = clock.now();
    throw new Error(
      `Cannot reserve a slot in Redis as it did not answer within ${timeoutMs} ms: key ${
        show(key)
      }`,
    );
  }

  return {
    async reserve(
      key: string,
      reserveOptions: ReserveOptions,
    ): Promise<number> {
      const { now, intervalMs, burst } = checkReserve(key, reserveOptions);
      const started = clock.now();
      const wait = readWait(
        await call(key, [String(intervalMs), String(burst)]),
        key,
      );
      // Redis read its clock somewhere during the round trip; counting the
      // wait from the answer's arrival never goes out before the slot.
      return wait === 0 ? now : now + (clock.now() - started) + wait;
    },
  };
}
