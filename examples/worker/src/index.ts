/**
 * A Cloudflare Worker for a support chat, on Hono, with the three middlewares:
 *
 * - `GET /talkjs/token`: a TalkJS user token for the signed-in user, for the
 *   frontend SDK (`talkjsUserToken()`).
 * - `POST /talkjs/events`: TalkJS webhooks, verified (`talkjsWebhook()`).
 * - `POST /api/support` `{ name, text }`: opens the user's support
 *   conversation and posts their first message through `c.var.talkjs`
 *   (`talkjs()`): three TalkJS requests.
 *
 * Every request's client paces its TalkJS requests through one budget held by the
 * `TalkJsLimiter` Durable Object (see `limiter_object.ts`), so the Worker as
 * a whole stays under TalkJS's 9 requests/s however many isolates serve it.
 *
 * Bindings (`wrangler.toml`): `TALKJS_APP_ID`, the secret `TALKJS_SECRET_KEY`,
 * the Durable Object `LIMITER`, and optionally `TALKJS_BASE_URL` (read by
 * `talkjs()`: e.g. `deno task emulator`) and `LIMITER_BURST` /
 * `LIMITER_PER_SECOND` (a smaller share of the budget when other services
 * use the same app). Locally, `wrangler dev` reads them from `.dev.vars`
 * (copy `.dev.vars.example`: it points the Worker at `deno task emulator`);
 * deployed, the key is a secret: `npx wrangler secret put TALKJS_SECRET_KEY`.
 *
 * ```sh
 * cd examples/worker && cp .dev.vars.example .dev.vars && npx wrangler dev
 * npx wrangler deploy
 * ```
 *
 * In your own project, import from `@unofficial/talkjs-rest` and
 * `@unofficial/talkjs-rest/hono` instead of the relative paths. This repo
 * runs this Worker in workerd (miniflare) in `deno task test:runtimes`.
 *
 * @module
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { createLimiter } from "../../../mod.ts";
import {
  talkjs,
  talkjsUserToken,
  type TalkJsVariables,
  talkjsWebhook,
} from "../../../hono.ts";
import {
  type DurableObjectNamespaceLike,
  durableObjectStore,
} from "./limiter_object.ts";

export { TalkJsLimiter } from "./limiter_object.ts";

/** The Worker's bindings. */
export interface Env {
  TALKJS_APP_ID: string;
  TALKJS_SECRET_KEY: string;
  TALKJS_BASE_URL?: string;
  LIMITER_BURST?: string;
  LIMITER_PER_SECOND?: string;
  LIMITER: DurableObjectNamespaceLike;
}

type AppEnv = { Bindings: Env; Variables: TalkJsVariables };

/** A stand-in for your session lookup: here, a user ID set by your auth layer in front. */
function currentUser(c: Context<AppEnv>): string | undefined {
  return c.req.header("x-user-id");
}

const app = new Hono<AppEnv>();

app.get("/talkjs/token", talkjsUserToken({ userId: currentUser }));

app.post("/talkjs/events", talkjsWebhook(), (c) => {
  const event = c.var.talkjsEvent;
  if (event.type === "message.sent") {
    console.log(
      `New message in ${event.data.conversation.id}: ${event.data.message.id}`,
    );
  }
  return c.json({ received: event.type });
});

/** What is wrong with the limiter's bindings, if anything. */
function limiterConfigError(env: Env): string | undefined {
  if (typeof env.LIMITER?.get !== "function") {
    return "The Durable Object binding LIMITER is missing: add the [[durable_objects.bindings]] of wrangler.toml";
  }
  const { LIMITER_BURST: burst, LIMITER_PER_SECOND: perSecond } = env;
  if (burst !== undefined && !(Number.isInteger(+burst) && +burst >= 1)) {
    return `LIMITER_BURST must be an integer >= 1: current value is ${
      JSON.stringify(burst)
    }`;
  }
  if (perSecond !== undefined && !(+perSecond > 0 && isFinite(+perSecond))) {
    return `LIMITER_PER_SECOND must be a positive number: current value is ${
      JSON.stringify(perSecond)
    }`;
  }
  return undefined;
}

// One client and limiter per isolate (bindings are known on the first
// request), and one budget for every isolate of the app through the Durable
// Object.
let api: MiddlewareHandler | undefined;
app.use("/api/*", async (c, next) => {
  const env = c.env;
  const problem = limiterConfigError(env);
  if (problem) {
    console.error(problem);
    return c.json({ error: problem }, 500);
  }
  // TALKJS_APP_ID, TALKJS_SECRET_KEY and TALKJS_BASE_URL: read by talkjs().
  api ??= talkjs({
    limiter: createLimiter({
      store: durableObjectStore(env.LIMITER),
      key: env.TALKJS_APP_ID || "default",
      burst: Number(env.LIMITER_BURST ?? 600),
      perSecond: Number(env.LIMITER_PER_SECOND ?? 9),
    }),
  });
  return await api(c, next);
});

app.post("/api/support", async (c) => {
  const userId = currentUser(c);
  if (!userId) return c.json({ error: "Not signed in" }, 401);
  const { name, text } = await c.req.json<{ name: string; text: string }>();
  const talk = c.var.talkjs;
  const conversationId = `support_${userId}`;
  await talk.users.put(userId, { name });
  await talk.conversations.put(conversationId, {
    participants: [userId],
    subject: "Support",
  });
  await talk.messages.send(conversationId, {
    type: "UserMessage",
    sender: userId,
    text,
  });
  return c.json({ conversationId });
});

export default app;
