/**
 * A {@linkcode LimiterStore} in Redis, so that every process and machine of a
 * Node or Bun fleet shares one rate-limit budget. No dependency: pass your
 * own client (`@upstash/redis` as it is; ioredis or node-redis through a
 * one-line adapter).
 *
 * @example Share the limiter across processes (node-redis; needs a Redis server)
 * ```ts ignore
 * import { createClient as createRedis } from "redis";
 * import { createClient, createLimiter } from "@unofficial/talkjs-rest";
 * import { redisStore } from "@unofficial/talkjs-rest/redis";
 *
 * const redis = await createRedis({ url: process.env.REDIS_URL! }).connect();
 * const store = redisStore({
 *   eval: (script, keys, args) => redis.eval(script, { keys, arguments: args }),
 * });
 * const limiter = createLimiter({ store, key: "my-app" });
 * const talk = createClient({ appId: "tTest", secretKey: "sk_test_x", limiter });
 * ```
 *
 * @module
 */
export * from "./src/redis_store.ts";
