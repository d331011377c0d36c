/**
 * A {@linkcode LimiterStore} in Deno KV, so that every isolate and process of
 * an app shares one rate-limit budget (Deno Deploy, or several processes on
 * one KV file).
 *
 * @example Share the limiter across isolates
 * ```ts ignore
 * import { createClient, createLimiter } from "@unofficial/talkjs-rest";
 * import { kvStore } from "@unofficial/talkjs-rest/kv";
 *
 * const limiter = createLimiter({ store: kvStore(await Deno.openKv()), key: "my-app" });
 * const talk = createClient({ appId: "tTest", secretKey: "sk_test_x", limiter });
 * ```
 *
 * @module
 */
export * from "./src/kv_store.ts";
