import type { Context, Env, MiddlewareHandler } from "hono";
import { type Clock, systemClock } from "../clock.ts";
import { TalkJsWebhookError } from "../errors.ts";
import { verifyWebhook, type WebhookEvent } from "../webhooks.ts";
import { readCapped } from "../_read_capped.ts";
import {
  bodyTooLarge,
  checkTimestampAge,
  MAX_BODY_BYTES,
  requireMaxBodyBytes,
  SIGNATURE_FORMAT,
  SIGNATURE_HEADER,
  TIMESTAMP_FORMAT,
  TIMESTAMP_HEADER,
} from "../_webhook_headers.ts";
import { requirePositive } from "../_validate.ts";
import {
  executionContextOf,
  notConfigured,
  resolveSetting,
  type TalkJsSetting,
} from "./_config.ts";

/** What {@linkcode talkjsWebhook} puts on `c.var`. */
export interface TalkJsWebhookVariables {
  /** The verified event. */
  talkjsEvent: WebhookEvent;
}

/** The Hono `Env` of {@linkcode talkjsWebhook}. */
export interface TalkJsWebhookEnv {
  /** `c.var.talkjsEvent`. */
  Variables: TalkJsWebhookVariables;
}

/** Options of {@linkcode talkjsWebhook}. */
// deno-lint-ignore no-explicit-any
export interface TalkJsWebhookOptions<E extends Env = any> {
  /**
   * The secret key TalkJS signs webhooks with, or a function of `c` that finds it.
   * @default {TALKJS_SECRET_KEY}
   */
  secret?: TalkJsSetting<E>;
  /**
   * How far `X-TalkJS-Timestamp` may be from now, in seconds, either way.
   * @default {300}
   */
  toleranceSeconds?: number;
  /**
   * The largest body read, in bytes: past it the request is answered 413
   * `{ error, reason: "body_too_large" }`, having read at most this much
   * (plus the chunk that crossed it). A positive integer or `Infinity`.
   * @default {1_048_576}
   */
  maxBodyBytes?: number;
  /**
   * Where "now" comes from.
   * @default {systemClock}
   */
  clock?: Clock;
  /**
   * Handles the event after the answer. When given, the middleware answers
   * `200 { received: true }` itself as soon as the event is verified, and runs
   * this in the background: through `c.executionCtx.waitUntil` on Workers,
   * unawaited elsewhere (Deno, Bun and Node keep running). Handlers after the
   * middleware do not run. Use it for slow work: TalkJS waits 5 s for a 200,
   * then sends the event again. Do not answer through `c` from here.
   */
  onEvent?: (event: WebhookEvent, c: Context<E>) => void | Promise<void>;
  /**
   * Called when `onEvent` throws or rejects; the answer has already gone out.
   * @default {logs the error and the event's type with console.error}
   */
  onError?: (error: unknown, event: WebhookEvent) => void;
}

const BODY_ALREADY_READ =
  "talkjsWebhook() needs the request body as received, but something before it already read the body: mount talkjsWebhook() before anything that reads the body";

function logError(error: unknown, event: WebhookEvent): void {
  console.error(
    `talkjsWebhook(): onEvent failed for a ${event.type} event`,
    error,
  );
}

/**
 * The body's bytes, read only once the headers could pass: with a header
 * missing or malformed, an empty body (`verifyWebhook` refuses on the header
 * before it looks at the body); with a timestamp outside the window, a
 * `stale_timestamp` refusal. Past `maxBodyBytes`, a `body_too_large` refusal
 * and the stream is cancelled. The bytes are left in Hono's body cache, so
 * handlers after the middleware can still read the body.
 */
async function readBody(
  c: Context,
  toleranceSeconds: number,
  maxBodyBytes: number,
  clock: Clock,
): Promise<Uint8Array> {
  const { raw, bodyCache } = c.req;
  const timestamp = raw.headers.get(TIMESTAMP_HEADER)?.trim() ?? "";
  if (
    !TIMESTAMP_FORMAT.test(timestamp) ||
    !SIGNATURE_FORMAT.test(raw.headers.get(SIGNATURE_HEADER)?.trim() ?? "")
  ) {
    return new Uint8Array();
  }
  checkTimestampAge(timestamp, toleranceSeconds, clock);
  // Hono keeps the promise of what it read; read earlier as bytes, they are there.
  const cache = bodyCache as unknown as { arrayBuffer?: Promise<ArrayBuffer> };
  if (cache.arrayBuffer) return new Uint8Array(await cache.arrayBuffer);
  const bytes = await readCapped(raw.body, raw.headers, maxBodyBytes);
  if (!bytes) bodyTooLarge(maxBodyBytes);
  cache.arrayBuffer = Promise.resolve(bytes.buffer);
  return bytes;
}

/**
 * Hono middleware that verifies TalkJS webhook requests (see `verifyWebhook`)
 * and puts the typed event on `c.var.talkjsEvent`.
 *
 * It reads the raw body bytes with `c.req.arrayBuffer()` and verifies them as
 * received, so mount it before anything that parses the body; later handlers
 * can still call `c.req.json()`. A refused request is answered with a 401 and
 * a JSON `{ error, reason }` (`reason` as in `TalkJsWebhookError`); a missing
 * secret with a 500 `{ error }`.
 *
 * Anyone can post to the endpoint, so the body is read last and capped. A
 * request whose signature headers are missing or malformed, or whose
 * timestamp is outside the window (`stale_timestamp`: here that says nothing
 * about the signature, which was not checked), is refused before its body is
 * read. A body over `maxBodyBytes` (1 MiB; TalkJS's events are a few KB) is
 * answered with a 413 `{ error, reason: "body_too_large" }`: at once when its
 * `Content-Length` says so, else when the bytes read cross the cap, and the
 * rest is not read. If something before the middleware already read the body
 * (other than as bytes through `c.req.arrayBuffer()`), the exact bytes are
 * gone: that is answered with a 500 `{ error }` saying to mount the
 * middleware first.
 *
 * TalkJS waits 5 s for a 200 and then retries: answer fast. Pass `onEvent`, and
 * the middleware answers 200 at once and runs it in the background (through
 * `c.executionCtx.waitUntil` on Workers). Or answer from your handler and, on
 * Workers, hand slow work to `c.executionCtx.waitUntil` yourself (Hono's
 * `c.executionCtx` throws on Deno, Bun and Node).
 *
 * @param options Where to find the secret, the tolerance, the body cap, and an optional background handler.
 * @returns The middleware.
 * @throws {RangeError} When `toleranceSeconds` is negative or not finite, or
 * `maxBodyBytes` is not a positive integer or `Infinity`.
 *
 * @example Handle events in a route
 * ```ts
 * import { Hono } from "hono";
 * import { signWebhook } from "@unofficial/talkjs-rest";
 * import { talkjsWebhook } from "@unofficial/talkjs-rest/hono";
 *
 * const secret = "sk_test_example";
 * const app = new Hono().post("/talkjs/events", talkjsWebhook({ secret }), (c) => {
 *   const event = c.var.talkjsEvent;
 *   return c.json({ type: event.type });
 * });
 *
 * const body = JSON.stringify({ type: "message.sent", data: {} });
 * const headers = await signWebhook({ secret, body });
 * const response = await app.request("/talkjs/events", { method: "POST", body, headers });
 * console.log(response.status, await response.json()); // 200 { type: "message.sent" }
 *
 * const forged = await app.request("/talkjs/events", { method: "POST", body });
 * console.log(forged.status, await forged.json()); // 401 { error: "...", reason: "missing_signature" }
 * ```
 *
 * @example Answer at once, work in the background
 * ```ts
 * import { Hono } from "hono";
 * import { signWebhook } from "@unofficial/talkjs-rest";
 * import { talkjsWebhook } from "@unofficial/talkjs-rest/hono";
 *
 * const seen: string[] = [];
 * const app = new Hono();
 * app.post(
 *   "/talkjs/events",
 *   talkjsWebhook({
 *     secret: "sk_test_example",
 *     onEvent: async (event) => {
 *       if (event.type === "message.sent") seen.push(event.data.message.id);
 *     },
 *   }),
 * );
 *
 * const body = JSON.stringify({ type: "message.sent", data: { message: { id: "m1" } } });
 * const headers = await signWebhook({ secret: "sk_test_example", body });
 * const response = await app.request("/talkjs/events", { method: "POST", body, headers });
 * console.log(response.status); // 200
 * await new Promise((resolve) => setTimeout(resolve, 0)); // onEvent runs after the answer
 * console.log(seen); // ["m1"]
 * ```
 */
// deno-lint-ignore no-explicit-any
export function talkjsWebhook<E extends Env = any>(
  options: TalkJsWebhookOptions<E> = {},
): MiddlewareHandler<TalkJsWebhookEnv> {
  const {
    secret: secretSetting,
    toleranceSeconds = 300,
    maxBodyBytes = MAX_BODY_BYTES,
    clock = systemClock,
    onEvent,
    onError = logError,
  } = options;
  const what = "create the webhook middleware";
  requirePositive(what, "toleranceSeconds", toleranceSeconds, true);
  requireMaxBodyBytes(what, maxBodyBytes);

  const missing = notConfigured(
    "talkjsWebhook",
    ["TALKJS_SECRET_KEY"],
    "secret",
  );
  return async function talkjsWebhookMiddleware(c, next) {
    const secret = await resolveSetting(c, secretSetting, "TALKJS_SECRET_KEY");
    if (secret === undefined) return missing(c);

    const { raw, bodyCache } = c.req;
    // Hono rebuilds a body read earlier as text, JSON, form data or a blob
    // from what it parsed, which need not be the bytes TalkJS signed (and
    // older Hono 4 releases cannot rebuild it at all): only bytes will do.
    if ((raw.bodyUsed || raw.body?.locked) && !bodyCache.arrayBuffer) {
      return c.json({ error: BODY_ALREADY_READ }, 500);
    }
    let event: WebhookEvent;
    try {
      event = await verifyWebhook({
        secret,
        body: await readBody(c, toleranceSeconds, maxBodyBytes, clock),
        headers: raw.headers,
        toleranceSeconds,
        maxBodyBytes,
        clock,
      });
    } catch (error) {
      if (error instanceof TalkJsWebhookError) {
        const status = error.reason === "body_too_large" ? 413 : 401;
        return c.json({ error: error.message, reason: error.reason }, status);
      }
      throw error;
    }
    c.set("talkjsEvent", event);

    if (onEvent === undefined) {
      await next();
      return;
    }
    const work = Promise.resolve()
      .then(() => onEvent(event, c as unknown as Context<E>))
      .catch((error: unknown) => {
        try {
          onError(error, event);
        } catch (reportError) {
          // A throwing onError must not become an unhandled rejection (fatal on Deno).
          console.error("talkjsWebhook(): onError threw", reportError);
        }
      });
    executionContextOf(c)?.waitUntil(work);
    return c.json({ received: true }, 200);
  };
}
