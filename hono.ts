/**
 * Hono middleware: a ready TalkJS client on `c.var.talkjs`, verified webhooks
 * on `c.var.talkjsEvent`, and a route that issues frontend user tokens.
 * Runs on Cloudflare Workers, Deno, Bun and Node. Without options they read
 * `TALKJS_APP_ID`, `TALKJS_SECRET_KEY` and `TALKJS_BASE_URL`: Workers
 * bindings, else the environment (through Hono's `env(c)`).
 *
 * @example Mount the three middlewares
 * ```ts ignore
 * import { Hono } from "hono";
 * import { talkjs, talkjsUserToken, talkjsWebhook } from "@unofficial/talkjs-rest/hono";
 *
 * const app = new Hono();
 * app.use("/api/*", talkjs());
 * app.post("/talkjs/events", talkjsWebhook(), (c) => c.json({ type: c.var.talkjsEvent.type }));
 * app.get("/talkjs/token", talkjsUserToken({ userId: (c) => c.req.header("x-user-id") }));
 * ```
 *
 * @module
 */
export * from "./src/hono/talkjs.ts";
export * from "./src/hono/webhook.ts";
export * from "./src/hono/user_token.ts";
