import { type Clock, systemClock } from "./clock.ts";
import { TalkJsWebhookError, type TalkJsWebhookErrorReason } from "./errors.ts";
import type { Conversation, Message, User } from "./types.ts";
import { encoder, hmacKey } from "./_hmac.ts";
import {
  bodyTooLarge,
  checkTimestampAge,
  MAX_BODY_BYTES,
  requireMaxBodyBytes,
  SIGNATURE_FORMAT,
  SIGNATURE_HEADER,
  TIMESTAMP_FORMAT,
  TIMESTAMP_HEADER,
} from "./_webhook_headers.ts";
import {
  fail,
  requireId,
  requireNumber,
  requirePositive,
} from "./_validate.ts";

/**
 * The raw body of a webhook request, exactly as received.
 */
export type WebhookBody = string | Uint8Array | ArrayBuffer;

/**
 * Options of {@linkcode verifyWebhook}.
 */
export interface VerifyWebhookOptions {
  /** Your TalkJS secret key: the HMAC key TalkJS signs webhooks with. */
  secret: string;
  /**
   * The raw request body as received: read it with `request.arrayBuffer()` (or
   * `text()`) before anything parses it. Bytes are verified as they are, never
   * decoded and re-encoded. Anyone can send a body of any size: check the
   * timestamp and cap the read before buffering it (see `maxBodyBytes`).
   */
  body: WebhookBody;
  /**
   * The request's headers: a `Headers` object or a plain record (names are
   * matched case-insensitively), e.g. Node's `req.headers`. An array value
   * (as `IncomingHttpHeaders` allows) is read by its first element.
   */
  headers: Headers | Record<string, string | string[] | undefined>;
  /**
   * How far, in seconds, `X-TalkJS-Timestamp` may be from the clock's time,
   * either way. Stops replays of old requests.
   * @default {300}
   */
  toleranceSeconds?: number;
  /**
   * The largest body accepted, in bytes (as UTF-8 for a string): a larger one
   * is refused as `body_too_large` before it is hashed. A positive integer or
   * `Infinity`. The cap cannot undo a read: when you read the body yourself,
   * stop reading past it too (as `talkjsWebhook()` does, answering 413).
   * @default {1_048_576}
   */
  maxBodyBytes?: number;
  /**
   * Where "now" comes from.
   * @default {systemClock}
   */
  clock?: Clock;
}

/**
 * Options of {@linkcode signWebhook}.
 */
export interface SignWebhookOptions {
  /** The TalkJS secret key to sign with. */
  secret: string;
  /** The exact body that will be sent. */
  body: WebhookBody;
  /**
   * The value of `X-TalkJS-Timestamp`, seconds or milliseconds since the epoch.
   * @default {Math.floor(clock.now())}
   */
  timestamp?: number;
  /**
   * Where the default timestamp comes from.
   * @default {systemClock}
   */
  clock?: Clock;
}

/**
 * The signature headers TalkJS sends with every webhook request. A type alias,
 * not an interface, so it passes as `HeadersInit` to `fetch` and `new Headers()`.
 */
export type WebhookHeaders = {
  /** When the request was signed, as decimal digits. */
  "X-TalkJS-Timestamp": string;
  /** Uppercase hex HMAC-SHA256 of `timestamp + "." + body`, keyed with the secret key. */
  "X-TalkJS-Signature": string;
};

/**
 * The common shape of every webhook event: `{ type, data }`, plus the event's
 * ID and creation time when TalkJS sends them.
 */
export interface WebhookEventBase<T extends string, D> {
  /** The event's type, e.g. `"message.sent"`. */
  type: T;
  /** What the event is about. */
  data: D;
  /** The event's ID (`evt_…`), when sent. */
  id?: string;
  /** When the event happened, milliseconds since the epoch, when sent. */
  createdAt?: number;
}

/**
 * `data` of `user.created` and `user.updated`.
 */
export interface UserEventData {
  /** The user as it is now. */
  user: User;
}

/**
 * `data` of `message.sent`, `message.updated` and `message.deleted`.
 */
export interface MessageEventData {
  /** The message. */
  message: Message;
  /** The conversation it belongs to. */
  conversation: Conversation;
  /** Who sent it; `null` or absent for system messages. */
  sender?: User | null;
}

/**
 * `data` of `message.read`.
 */
export interface MessageReadEventData extends MessageEventData {
  /** The user who read the message. */
  recipient: User;
}

/**
 * `data` of `conversation.deleted`.
 */
export interface ConversationEventData {
  /** The conversation, as it was before deletion. */
  conversation: Conversation;
}

/**
 * `data` of the `notification.*` events. TalkJS does not document every field
 * of every notification event, so all are optional and unknown ones are kept.
 */
export interface NotificationEventData {
  /** The user the notification is for. */
  recipient?: User;
  /** Who sent the messages it is about. */
  sender?: User | null;
  /** The conversation it is about. */
  conversation?: Conversation;
  /** The messages it is about. */
  messages?: Message[];
  /** The notification's ID, the same across its `notification.*` events. */
  notificationId?: string;
  /** The clicked link (`notification.link.clicked`). */
  url?: string;
  /** Any other field TalkJS sends. */
  [field: string]: unknown;
}

/**
 * Any webhook event TalkJS sends, discriminated by `type`: `switch` on it and
 * `data` narrows to the event's shape. Events are passed through as TalkJS sent
 * them; a type this version does not list is passed through too (it is only
 * checked to be an object with a string `type`).
 */
export type WebhookEvent =
  | WebhookEventBase<"user.created", UserEventData>
  | WebhookEventBase<"user.updated", UserEventData>
  | WebhookEventBase<"message.sent", MessageEventData>
  | WebhookEventBase<"message.read", MessageReadEventData>
  | WebhookEventBase<"message.updated", MessageEventData>
  | WebhookEventBase<"message.deleted", MessageEventData>
  | WebhookEventBase<"conversation.deleted", ConversationEventData>
  | WebhookEventBase<"notification.triggered", NotificationEventData>
  | WebhookEventBase<"notification.sent", NotificationEventData>
  | WebhookEventBase<"notification.delivered", NotificationEventData>
  | WebhookEventBase<"notification.bounced", NotificationEventData>
  | WebhookEventBase<"notification.opened", NotificationEventData>
  | WebhookEventBase<"notification.link.clicked", NotificationEventData>;

/**
 * The `type` of every event in {@linkcode WebhookEvent}.
 */
export type WebhookEventType = WebhookEvent["type"];

/**
 * The event of one type, e.g. `WebhookEventOf<"message.read">`.
 */
export type WebhookEventOf<T extends WebhookEventType> = Extract<
  WebhookEvent,
  { type: T }
>;

/**
 * The `type` of the `notification.*` events: what TalkJS sends about an
 * email or SMS notification, from `notification.triggered` (TalkJS decided
 * to notify a user of unread messages) to `notification.link.clicked`.
 */
export type NotificationEventType = Extract<
  WebhookEventType,
  `notification.${string}`
>;

/** Validates `secret` and `body` of both functions: the key and the body's bytes. */
function prepare(
  what: string,
  secret: unknown,
  body: unknown,
): [Promise<CryptoKey>, Uint8Array] {
  requireId(what, "secret", secret);
  // Any view (a Node Buffer, a DataView) is read as the bytes it spans.
  const bytes = typeof body === "string"
    ? encoder.encode(body)
    : body instanceof ArrayBuffer
    ? new Uint8Array(body)
    : ArrayBuffer.isView(body)
    ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
    : fail(what, "body", "a string, Uint8Array or ArrayBuffer", body);
  return [hmacKey(secret as string), bytes];
}

/**
 * `timestamp + "." + body`, joined as bytes so the body is never re-encoded.
 * A view of a SharedArrayBuffer is copied first: Deno's Blob refuses it.
 */
function signedPayload(
  timestamp: string,
  body: Uint8Array,
): Promise<ArrayBuffer> {
  return new Blob([
    `${timestamp}.`,
    (body.buffer instanceof ArrayBuffer ? body : body.slice()) as Uint8Array<
      ArrayBuffer
    >,
  ]).arrayBuffer();
}

/** A header's trimmed value; absent or blank, a `missing` TalkJsWebhookError. */
function readHeader(
  headers: Headers | Record<string, string | string[] | undefined>,
  name: string,
  missing: TalkJsWebhookErrorReason,
): string {
  // Headers, or a Headers from another realm (undici's under Node); else a
  // plain record, matched case-insensitively. An array value (which
  // IncomingHttpHeaders allows) is read by its first element. (Node itself
  // joins a repeated X-TalkJS-* header with ", ", which then fails the format.)
  const value = typeof headers.get === "function"
    ? (headers as Headers).get(name)
    : Object.entries(headers).find(([key]) =>
      key.toLowerCase() === name.toLowerCase()
    )?.[1];
  const first = Array.isArray(value) ? value[0] : value;
  const found = typeof first === "string" && first.trim();
  if (!found) {
    throw new TalkJsWebhookError(missing, `Webhook has no ${name} header`);
  }
  return found;
}

/**
 * Verifies a TalkJS webhook request and answers its event. Checks, in order:
 * both signature headers are present, `X-TalkJS-Timestamp` is decimal digits
 * (seconds or milliseconds: a value above 10^11 is milliseconds),
 * `X-TalkJS-Signature` is the HMAC-SHA256 of `timestamp + "." + body` keyed
 * with `secret` (compared in constant time by Web Crypto, as bytes, so the hex
 * may be upper- or lowercase; TalkJS sends uppercase), the timestamp is within
 * `toleranceSeconds` of now (so `stale_timestamp` means a genuine but old
 * request: a replay or a skewed clock), and finally the body is a JSON object
 * with a string `type`. A body over `maxBodyBytes` (1 MiB) is refused as
 * `body_too_large` once the headers pass, before it is hashed.
 *
 * Pass the body exactly as received; verify before anything parses it.
 * Anyone can post to a webhook endpoint, with any body: when you read the
 * body yourself, refuse a `Content-Length` over the cap and stop reading a
 * stream past it, so that a huge post costs nothing (the example below;
 * `talkjsWebhook()` from `@unofficial/talkjs-rest/hono` does this, and checks
 * the timestamp's age before reading at all).
 *
 * @param options The secret, the raw body, the headers, the tolerance and the body cap.
 * @returns The parsed event.
 * @throws {TalkJsWebhookError} With a `reason` when any check fails. Its
 * message never holds the secret or the expected signature.
 * @throws {TypeError} When `secret`, `body` or `headers` has the wrong type.
 * @throws {RangeError} When `toleranceSeconds` is negative or not finite, or
 * `maxBodyBytes` is not a positive integer or `Infinity`.
 *
 * @example Verify a request in a fetch handler
 * ```ts
 * import { signWebhook, TalkJsWebhookError, verifyWebhook } from "@unofficial/talkjs-rest";
 *
 * const secret = "sk_test_example";
 * const maxBodyBytes = 1_048_576;
 * async function handle(request: Request): Promise<Response> {
 *   // Anyone can post here: do not buffer more than the cap. (A chunked body
 *   // has no Content-Length: to cap it too, read request.body with a counter.)
 *   if (Number(request.headers.get("content-length")) > maxBodyBytes) {
 *     return new Response("body_too_large", { status: 413 });
 *   }
 *   try {
 *     const event = await verifyWebhook({
 *       secret,
 *       body: await request.arrayBuffer(),
 *       headers: request.headers,
 *       maxBodyBytes,
 *     });
 *     console.log(event.type); // user.created
 *     return new Response("ok");
 *   } catch (error) {
 *     if (error instanceof TalkJsWebhookError) {
 *       return new Response(error.reason, { status: error.reason === "body_too_large" ? 413 : 401 });
 *     }
 *     throw error;
 *   }
 * }
 *
 * const body = JSON.stringify({
 *   type: "user.created",
 *   data: { user: { id: "a", name: "A", createdAt: 0 } },
 * });
 * const headers = await signWebhook({ secret, body });
 * const response = await handle(new Request("http://localhost/", { method: "POST", body, headers }));
 * console.log(response.status); // 200
 * ```
 *
 * @example Verify text or bytes alike, against a test clock
 * ```ts
 * import { signWebhook, verifyWebhook } from "@unofficial/talkjs-rest";
 * import { createManualClock } from "@unofficial/talkjs-rest/testing";
 *
 * const clock = createManualClock(Date.UTC(2024, 0, 1));
 * const secret = "sk_test_example";
 * const text = JSON.stringify({ type: "user.updated", data: {} });
 * const headers = await signWebhook({ secret, body: text, clock });
 * const bytes = new TextEncoder().encode(text);
 * for (const body of [text, bytes, bytes.buffer]) {
 *   const event = await verifyWebhook({ secret, body, headers, toleranceSeconds: 60, clock });
 *   console.log(event.type); // user.updated (3 times)
 * }
 * ```
 */
export async function verifyWebhook(
  options: VerifyWebhookOptions,
): Promise<WebhookEvent> {
  const what = "verify a webhook";
  const {
    secret,
    body,
    headers,
    toleranceSeconds = 300,
    maxBodyBytes = MAX_BODY_BYTES,
    clock = systemClock,
  } = options ?? ({} as VerifyWebhookOptions);
  const [key, bytes] = prepare(what, secret, body);
  if (typeof headers !== "object" || !headers) {
    fail(what, "headers", "a Headers object or a record", headers);
  }
  requirePositive(what, "toleranceSeconds", toleranceSeconds, true);
  requireMaxBodyBytes(what, maxBodyBytes);

  const signature = readHeader(headers, SIGNATURE_HEADER, "missing_signature");
  const timestamp = readHeader(headers, TIMESTAMP_HEADER, "missing_timestamp");
  if (!TIMESTAMP_FORMAT.test(timestamp)) {
    throw new TalkJsWebhookError(
      "bad_timestamp",
      `Webhook ${TIMESTAMP_HEADER} must be decimal digits (seconds or milliseconds)`,
    );
  }

  if (bytes.length > maxBodyBytes) bodyTooLarge(maxBodyBytes);

  // 64 hex digits (either case) are the 32 bytes of an HMAC-SHA256; Web
  // Crypto compares them in constant time.
  if (
    !SIGNATURE_FORMAT.test(signature) || !await crypto.subtle.verify(
      "HMAC",
      await key,
      Uint8Array.from(signature.match(/../g)!, (hex) => parseInt(hex, 16)),
      await signedPayload(timestamp, bytes),
    )
  ) {
    throw new TalkJsWebhookError(
      "bad_signature",
      `Webhook ${SIGNATURE_HEADER} does not match the body and timestamp`,
    );
  }

  checkTimestampAge(timestamp, toleranceSeconds, clock);

  let event: WebhookEvent | undefined;
  let cause: unknown;
  try {
    // Not fatal: like Response.json(), invalid UTF-8 becomes U+FFFD. The bytes were already verified.
    event = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    cause = error; // Not JSON: the parse error says where.
  }
  if (
    typeof event !== "object" || !event || Array.isArray(event) ||
    typeof event.type !== "string"
  ) {
    throw new TalkJsWebhookError(
      "bad_body",
      "Webhook body is not a TalkJS event: expected a JSON object with a string 'type'",
      cause ? { cause } : undefined,
    );
  }
  return event;
}

/**
 * Signs a body the way TalkJS signs webhooks and answers the headers TalkJS
 * would send with it. For tests of your webhook endpoint, and for emulators.
 *
 * @param options The secret, the exact body and the timestamp (default now, in milliseconds).
 * @returns `X-TalkJS-Timestamp` and `X-TalkJS-Signature` (uppercase hex).
 * @throws {TypeError} When `secret` or `body` has the wrong type.
 * @throws {RangeError} When `timestamp` is not a non-negative integer.
 *
 * @example Post a signed event to your own endpoint
 * ```ts
 * import { signWebhook, verifyWebhook } from "@unofficial/talkjs-rest";
 *
 * const body = JSON.stringify({ type: "message.read", data: {} });
 * const headers = await signWebhook({ secret: "sk_test_example", body });
 * const request = new Request("http://localhost/talkjs/events", { method: "POST", body, headers });
 *
 * const event = await verifyWebhook({
 *   secret: "sk_test_example",
 *   body: await request.text(),
 *   headers: request.headers,
 * });
 * console.log(event.type); // message.read
 * ```
 *
 * @example Sign with a fixed timestamp
 * ```ts
 * import { signWebhook } from "@unofficial/talkjs-rest";
 *
 * const headers = await signWebhook({
 *   secret: "sk_test_example",
 *   body: JSON.stringify({ type: "message.sent", data: {} }),
 *   timestamp: 1_700_000_000,
 * });
 * console.log(headers["X-TalkJS-Timestamp"], headers["X-TalkJS-Signature"].length); // 1700000000 64
 * ```
 */
export async function signWebhook(
  options: SignWebhookOptions,
): Promise<WebhookHeaders> {
  const what = "sign a webhook";
  const { secret, body, clock = systemClock } = options ??
    ({} as SignWebhookOptions);
  const timestamp = options?.timestamp ?? Math.floor(clock.now());
  const [key, bytes] = prepare(what, secret, body);
  requireNumber(
    what,
    "timestamp",
    timestamp,
    "a non-negative integer",
    (n) => Number.isSafeInteger(n) && n >= 0,
    RangeError,
  );
  const stamp = String(timestamp);
  const mac = await crypto.subtle.sign(
    "HMAC",
    await key,
    await signedPayload(stamp, bytes),
  );
  return {
    "X-TalkJS-Timestamp": stamp,
    "X-TalkJS-Signature": Array.from(
      new Uint8Array(mac),
      (byte) => byte.toString(16).padStart(2, "0"),
    ).join("").toUpperCase(),
  };
}
