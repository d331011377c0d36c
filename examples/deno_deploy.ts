/**
 * A Deno Deploy server for a support chat, on Hono, with the three
 * middlewares:
 *
 * - `GET /talkjs/token`: a TalkJS user token for the signed-in user, for the
 *   frontend SDK (`talkjsUserToken()`).
 * - `POST /talkjs/events`: TalkJS webhooks, verified (`talkjsWebhook()`),
 *   answered at once and handled in the background, each event once: TalkJS
 *   sends an event again when its 200 is late, so event IDs are remembered
 *   in Deno KV for a day.
 * - `POST /api/support` `{ name, text }`: opens the user's support
 *   conversation and posts their first message through `c.var.talkjs`
 *   (`talkjs()`).
 *
 * Deno Deploy runs many isolates of one app; the limiter keeps its state in
 * Deno KV (`kvStore`), so together they stay under TalkJS's 9 requests/s.
 *
 * ```sh
 * TALKJS_APP_ID=t… TALKJS_SECRET_KEY=sk_… deno run --allow-net --allow-env --unstable-kv examples/deno_deploy.ts
 * ```
 *
 * `TALKJS_BASE_URL` points it elsewhere: against `deno task emulator` (in
 * another terminal), `TALKJS_APP_ID=tEmulator TALKJS_SECRET_KEY=sk_test_emulator
 * TALKJS_BASE_URL=http://127.0.0.1:8787`. `PORT` sets the port (default
 * 8000; `0` picks a free one). Without the app ID and key every route
 * answers a 500 naming them. In your own project, import from
 * `@unofficial/talkjs-rest`, `…/hono` and `…/kv`.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import type { ClientOptions, WebhookEvent } from "../mod.ts";
import {
  talkjs,
  talkjsUserToken,
  type TalkJsVariables,
  talkjsWebhook,
} from "../hono.ts";
import { kvStore } from "../kv.ts";

/** Options of {@linkcode createSupportApp}. */
export interface SupportAppOptions {
  /** Your TalkJS app ID; when absent, the routes answer a 500 naming what is missing. */
  appId: string | undefined;
  /** Your TalkJS secret key. */
  secretKey: string | undefined;
  /** Holds the limiter's state and the IDs of handled webhook events. */
  kv: Deno.Kv;
  /** Where TalkJS is, e.g. the emulator's `baseUrl`; TalkJS when `undefined`. */
  baseUrl?: string | undefined;
  /** How requests reach it, e.g. the emulator's `fetch`. */
  fetch?: ClientOptions["fetch"];
  /** Handles each new webhook event, once. */
  onEvent?: (event: WebhookEvent) => void | Promise<void>;
}

/** A stand-in for your session lookup: here, a user ID set by your auth layer in front. */
function currentUser(c: Context): string | undefined {
  return c.req.header("x-user-id");
}

/**
 * The server's Hono app, separate from `Deno.serve` so that tests can call it.
 *
 * @param options Credentials, KV, and where TalkJS is.
 * @returns The app: `Deno.serve(app.fetch)`.
 */
export function createSupportApp(
  options: SupportAppOptions,
): Hono<{ Variables: TalkJsVariables }> {
  const {
    appId,
    secretKey,
    kv,
    onEvent = (e) => console.log(`TalkJS event ${e.type}`),
  } = options;
  const credentials = { appId: () => appId, secretKey: () => secretKey };
  const app = new Hono<{ Variables: TalkJsVariables }>();

  app.get(
    "/talkjs/token",
    talkjsUserToken({ ...credentials, userId: currentUser }),
  );

  app.post(
    "/talkjs/events",
    talkjsWebhook({
      secret: () => secretKey,
      async onEvent(event) {
        if (event.id !== undefined) {
          const seen = ["talkjs-events", event.id];
          const first = await kv.atomic().check({
            key: seen,
            versionstamp: null,
          })
            .set(seen, true, { expireIn: 86_400_000 }).commit();
          if (!first.ok) return;
        }
        await onEvent(event);
      },
    }),
  );

  app.use(
    "/api/*",
    talkjs({
      ...credentials,
      ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      // Each app ID's limiter keeps its budget in Deno KV, shared by every isolate.
      store: kvStore(kv),
    }),
  );

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

  return app;
}

if (import.meta.main) {
  const app = createSupportApp({
    appId: Deno.env.get("TALKJS_APP_ID"),
    secretKey: Deno.env.get("TALKJS_SECRET_KEY"),
    baseUrl: Deno.env.get("TALKJS_BASE_URL") || undefined,
    kv: await Deno.openKv(),
  });
  // Deno Deploy chooses the port itself.
  Deno.serve({ port: Number(Deno.env.get("PORT") ?? 8000) }, app.fetch);
}
