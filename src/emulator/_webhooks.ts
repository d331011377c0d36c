import type { Clock } from "../clock.ts";
import type { Message, User } from "../types.ts";
import {
  type NotificationEventData,
  type NotificationEventType,
  signWebhook,
  type WebhookEvent,
  type WebhookEventOf,
  type WebhookEventType,
} from "../webhooks.ts";
import { fail, requireId } from "../_validate.ts";
import type { ConversationRecord, Store } from "./_store.ts";

/**
 * Where the emulator sends its webhook events: `createEmulator({ webhooks })`.
 */
export interface EmulatorWebhookOptions {
  /** Your webhook endpoint, as you would enter it in TalkJS's dashboard. */
  url: string;
  /**
   * Sends each request. Pass a Hono app's `app.fetch` to deliver in process,
   * without a socket; the default reaches `url` over the network (a loopback
   * server in another process works too).
   * @default {globalThis.fetch}
   */
  fetch?: (request: Request) => Response | Promise<Response>;
  /**
   * The events to send, as the dashboard's checkboxes pick them.
   * @default {every event type}
   */
  events?: WebhookEventType[];
}

/**
 * One event the emulator sent (or is sending) to the webhook endpoint.
 */
export interface WebhookDelivery {
  /** The event's ID (`evt_…`). */
  id: string;
  /** The event's type. */
  type: WebhookEventType;
  /** The event as sent: the request body, parsed. */
  event: WebhookEvent;
  /**
   * `"pending"` until an attempt is answered 200 (`"delivered"`) or the
   * last attempt fails (`"failed"`).
   */
  state: "pending" | "delivered" | "failed";
  /** Attempts started so far: 1, or 2 after a retry. */
  attempts: number;
  /** The status of the latest answer, when the latest attempt got one. */
  status?: number;
  /** Why the latest attempt failed: a non-200 answer, a timeout or a network error. */
  error?: string;
}

/**
 * The webhook side of an emulator (`emu.webhooks`): what it sent, and a way
 * to wait until it is done sending.
 *
 * @example Wait for the events of a call, then look at them
 * ```ts
 * import { Hono } from "hono";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const app = new Hono().post("/talkjs/events", (c) => c.text("ok"));
 * const emu = createEmulator({ webhooks: { url: "http://app/talkjs/events", fetch: app.fetch } });
 * await emu.fetch(`${emu.baseUrl}/v1/${emu.appId}/users/alice`, {
 *   method: "PUT",
 *   headers: { authorization: `Bearer ${emu.secretKey}`, "content-type": "application/json" },
 *   body: JSON.stringify({ name: "Alice" }),
 * });
 * await emu.webhooks.flush();
 * const [delivery] = emu.webhooks.deliveries;
 * console.log(delivery?.type, delivery?.status, delivery?.attempts); // user.created 200 1
 * ```
 */
export interface EmulatorWebhooks {
  /**
   * The latest 1,000 events emitted since the emulator was created or
   * reset, in the order the emulator emitted them (fresh copies on every
   * read).
   */
  readonly deliveries: WebhookDelivery[];
  /**
   * Resolves once no event is waiting or being sent. Each attempt ends
   * within 5 s on the emulator's clock (TalkJS's wait for an answer), so a
   * stalled handler holds each event at most two timeouts and the 1 s retry
   * delay; with a manual clock, that time passes as the test moves the
   * clock on (`clock.advance(ms)`).
   */
  flush(): Promise<void>;
}

/**
 * Options of {@linkcode EmulatorSimulate.notification}.
 */
export interface SimulateNotificationOptions {
  /**
   * The notification's events, sent in this order with one `notificationId`.
   * @default {["notification.triggered"]}
   */
  events?: NotificationEventType[];
  /** The clicked link: required with `"notification.link.clicked"`. */
  url?: string;
}

/**
 * What users do in TalkJS's chat UI and email that no REST call does
 * (`emu.simulate`): each changes what the emulator holds as TalkJS would,
 * and sends the webhook events TalkJS sends for it.
 *
 * @example Bob reads the conversation; Alice's message gets a read receipt
 * ```ts
 * import { createClient } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 * await talk.users.putMany({ alice: { name: "Alice" }, bob: { name: "Bob" } });
 * await talk.conversations.put("c1", { participants: ["alice", "bob"] });
 * const { ids } = await talk.messages.send("c1", { type: "UserMessage", sender: "alice", text: "Hi" });
 *
 * console.log(emu.simulate.read("c1", "bob").length === ids.length); // true
 * console.log((await talk.messages.get("c1", ids[0]!)).readBy); // [ "bob" ]
 * ```
 */
export interface EmulatorSimulate {
  /**
   * `userId` opens the conversation in a chat UI: every message from
   * someone else that they had not read gets them in its `readBy`, and a
   * `message.read` event for each (none in a conversation of over 300
   * participants, as TalkJS documents).
   * @param conversationId The conversation.
   * @param userId A participant, who must be a stored user.
   * @returns The IDs of the messages read now, oldest first.
   */
  read(conversationId: string, userId: string): string[];
  /**
   * TalkJS notifies `userId` of their unread messages in the conversation:
   * sends the notification's events (`notification.triggered`, and those
   * given: `.sent`, `.delivered`, `.bounced`, `.opened`,
   * `.link.clicked`), each with the same `notificationId`, the recipient,
   * the conversation, the unread messages and the sender of the newest.
   * @param conversationId The conversation.
   * @param userId A participant with unread messages, who must be a stored user.
   * @param options The events to send, and the clicked link.
   * @returns The notification's ID.
   */
  notification(
    conversationId: string,
    userId: string,
    options?: SimulateNotificationOptions,
  ): string;
}

/** @internal What the routes report; each builds and queues its event when subscribed. */
export interface WebhookEmitter {
  userSaved(user: User, created: boolean): void;
  messageSent(conv: ConversationRecord, message: Message): void;
  messageUpdated(conv: ConversationRecord, message: Message): void;
  /** After removal: `message` is the removed one. */
  messageDeleted(conv: ConversationRecord, message: Message): void;
  /** Before removal, so the conversation is sent as it was. */
  conversationDeleted(conv: ConversationRecord): void;
}

/** TalkJS waits this long for an answer (its webhook reference). */
export const WEBHOOK_TIMEOUT_MS = 5_000;
/**
 * TalkJS retries a failed event once "shortly after": the emulator's
 * reading of "shortly" is one second.
 */
export const WEBHOOK_RETRY_DELAY_MS = 1_000;
const ATTEMPTS = 2;
/** TalkJS's message.read limit: "no message.read webhook is sent" past it. */
const READ_EVENT_MAX_PARTICIPANTS = 300;

/** Every event type, checked complete by the compiler against `WebhookEventType`. */
const EVENT_TYPES: Record<WebhookEventType, true> = {
  "user.created": true,
  "user.updated": true,
  "message.sent": true,
  "message.read": true,
  "message.updated": true,
  "message.deleted": true,
  "conversation.deleted": true,
  "notification.triggered": true,
  "notification.sent": true,
  "notification.delivered": true,
  "notification.bounced": true,
  "notification.opened": true,
  "notification.link.clicked": true,
};

const ID_ALPHABET =
  "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/**
 * `prefix` and 18 random letters and digits, as TalkJS's `evt_AVL7tDG9V7CPSXBfG4`.
 * Random, not seeded: a handler that remembers event IDs across runs (as
 * the Deno Deploy example does in KV) must not take a new run's events for
 * ones it has seen.
 */
function randomId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return prefix + Array.from(bytes, (b) => ID_ALPHABET[b % 62]).join("");
}

/** @internal Checks `createEmulator`'s `webhooks` option; `undefined` when absent. */
export function resolveWebhookOptions(
  options: unknown,
): Required<EmulatorWebhookOptions> | undefined {
  if (options === undefined) return undefined;
  const what = "create an emulator";
  if (typeof options !== "object" || !options || Array.isArray(options)) {
    fail(what, "webhooks", "an object with a url", options);
  }
  const { url, fetch: send, events } = options as EmulatorWebhookOptions;
  let parsed: URL | undefined;
  try {
    parsed = typeof url === "string" ? new URL(url) : undefined;
  } catch {
    // Reported below.
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol)) {
    fail(what, "webhooks.url", "an http:// or https:// URL", url);
  }
  if (send !== undefined && typeof send !== "function") {
    fail(what, "webhooks.fetch", "a function", send);
  }
  if (events !== undefined) {
    if (!Array.isArray(events)) {
      fail(what, "webhooks.events", "an array of event types", events);
    }
    for (const [i, type] of events.entries()) {
      if (!Object.hasOwn(EVENT_TYPES, type)) {
        fail(
          what,
          `webhooks.events[${i}]`,
          `a TalkJS event type (${Object.keys(EVENT_TYPES).join(", ")})`,
          type,
          RangeError,
        );
      }
    }
  }
  return {
    url: parsed.href,
    fetch: send ?? ((request) => globalThis.fetch(request)),
    events: events ?? (Object.keys(EVENT_TYPES) as WebhookEventType[]),
  };
}

/** @internal What {@linkcode createWebhooks} needs. */
export interface WebhookDeps {
  options: Required<EmulatorWebhookOptions> | undefined;
  store: Store;
  clock: Clock;
  secretKey: string;
}

/** @internal The emulator's webhooks: the routes' emitter, `emu.webhooks`, `emu.simulate`. */
export interface Webhooks {
  /** Undefined without `webhooks`, so routes skip building events. */
  emitter: WebhookEmitter | undefined;
  webhooks: EmulatorWebhooks;
  simulate: EmulatorSimulate;
  /** Forgets deliveries and drops queued events (an attempt under way ends unrecorded). */
  reset(): void;
}

/** @internal Wires event building, delivery and the simulated user actions. */
export function createWebhooks(deps: WebhookDeps): Webhooks {
  const { options, store } = deps;
  const subscribed = new Set(options?.events ?? []);
  const queue = createDeliveryQueue(deps);

  function emit<T extends WebhookEventType>(
    type: T,
    data: () => WebhookEventOf<T>["data"],
  ): void {
    if (!subscribed.has(type)) return;
    // The envelope's fields in TalkJS's order (as its tutorial logs one).
    queue.push({
      createdAt: Math.floor(deps.clock.now()),
      data: data(),
      id: randomId("evt_"),
      type,
    } as WebhookEvent);
  }

  const userOf = (id: string | null): User | null => {
    const user = id === null ? undefined : store.users.get(id);
    return user ? structuredClone(user) : null;
  };
  const messageEvent = (
    type: "message.sent" | "message.updated" | "message.deleted",
    conv: ConversationRecord,
    message: Message,
  ) =>
    emit(type, () => ({
      message: structuredClone(message),
      conversation: store.view(conv),
      sender: userOf(message.senderId),
    }));

  const emitter: WebhookEmitter | undefined = options && {
    userSaved(user, created) {
      const type = created ? "user.created" : "user.updated";
      emit(type, () => ({ user: structuredClone(user) }));
    },
    messageSent: (conv, message) => messageEvent("message.sent", conv, message),
    messageUpdated: (conv, message) =>
      messageEvent("message.updated", conv, message),
    messageDeleted: (conv, message) =>
      messageEvent("message.deleted", conv, message),
    conversationDeleted(conv) {
      emit("conversation.deleted", () => ({
        conversation: store.view(conv),
      }));
    },
  };

  return {
    emitter,
    webhooks: {
      get deliveries(): WebhookDelivery[] {
        return structuredClone(queue.deliveries);
      },
      flush: () => queue.flush(),
    },
    simulate: createSimulate(store, emit, userOf),
    reset: () => queue.reset(),
  };
}

type Emit = <T extends WebhookEventType>(
  type: T,
  data: () => WebhookEventOf<T>["data"],
) => void;

/**
 * @internal The conversation, and the participant as a stored user: a
 * TypeError for an ID that is not a non-empty string, a RangeError for one
 * that names nothing stored (the HTTP control routes answer it as a 404).
 */
export function lookup(
  store: Store,
  what: string,
  conversationId: unknown,
  userId: unknown,
): { conv: ConversationRecord; user: User } {
  requireId(what, "conversationId", conversationId);
  requireId(what, "userId", userId);
  const conv = store.conversations.get(conversationId as string);
  if (!conv) {
    fail(
      what,
      "conversationId",
      "a stored conversation",
      conversationId,
      RangeError,
    );
  }
  if (!Object.hasOwn(conv.participants, userId as string)) {
    fail(
      what,
      "userId",
      "a participant of the conversation",
      userId,
      RangeError,
    );
  }
  const user = store.users.get(userId as string);
  if (!user) fail(what, "userId", "a stored user", userId, RangeError);
  return { conv, user: structuredClone(user) };
}

/** Messages from others that `userId` has not read, oldest first. */
function unread(conv: ConversationRecord, userId: string): Message[] {
  return conv.messages.ascending().map((id) => conv.messagesById.get(id)!)
    .filter((m) => m.senderId !== userId && !m.readBy.includes(userId));
}

/** `emu.simulate`: user actions that change the store and emit their events. */
function createSimulate(
  store: Store,
  emit: Emit,
  userOf: (id: string | null) => User | null,
): EmulatorSimulate {
  return {
    read(conversationId, userId) {
      const { conv, user } = lookup(
        store,
        "simulate a read",
        conversationId,
        userId,
      );
      const messages = unread(conv, user.id);
      const events =
        Object.keys(conv.participants).length <= READ_EVENT_MAX_PARTICIPANTS;
      for (const message of messages) {
        message.readBy.push(user.id);
        if (!events) continue;
        emit("message.read", () => ({
          message: structuredClone(message),
          conversation: store.view(conv),
          sender: userOf(message.senderId),
          recipient: structuredClone(user),
        }));
      }
      return messages.map((m) => m.id);
    },
    notification(conversationId, userId, options = {}) {
      const what = "simulate a notification";
      const { conv, user } = lookup(store, what, conversationId, userId);
      const events = notificationEvents(what, options);
      const messages = unread(conv, user.id);
      if (!messages.length) {
        fail(
          what,
          "userId",
          "a participant with unread messages (TalkJS notifies of those)",
          userId,
          RangeError,
        );
      }
      const notificationId = randomId("ntf_");
      const data: NotificationEventData = {
        notificationId,
        recipient: user,
        sender: userOf(messages.at(-1)!.senderId),
        conversation: store.view(conv),
        messages: structuredClone(messages),
      };
      for (const type of events) {
        emit(type, () => ({
          ...structuredClone(data),
          ...(type === "notification.link.clicked" ? { url: options.url } : {}),
        }));
      }
      return notificationId;
    },
  };
}

/** Checks `simulate.notification`'s options; answers the event types to send. */
function notificationEvents(
  what: string,
  options: SimulateNotificationOptions,
): NotificationEventType[] {
  if (typeof options !== "object" || !options || Array.isArray(options)) {
    fail(what, "options", "an object", options);
  }
  const { events = ["notification.triggered"], url } = options;
  if (!Array.isArray(events) || events.length === 0) {
    fail(
      what,
      "options.events",
      "a non-empty array of notification.* event types",
      events,
    );
  }
  for (const [i, type] of events.entries()) {
    if (
      !(typeof type === "string" && type.startsWith("notification.") &&
        Object.hasOwn(EVENT_TYPES, type))
    ) {
      fail(
        what,
        `options.events[${i}]`,
        `a notification event type (${
          Object.keys(EVENT_TYPES).filter((t) => t.startsWith("notification."))
            .join(", ")
        })`,
        type,
        RangeError,
      );
    }
  }
  if (events.includes("notification.link.clicked")) {
    requireId(what, "options.url", url);
  }
  return events;
}

/**
 * @internal The events still to send, in lanes: one per conversation (or
 * per user, for user events), each sent one at a time in the order emitted.
 * A handler that stalls on one event holds the later events of its lane
 * only, never another conversation's. The log keeps the last
 * `MAX_DELIVERIES_KEPT` deliveries, so a long-running emulator stays bounded.
 */
interface DeliveryQueue {
  readonly deliveries: WebhookDelivery[];
  push(event: WebhookEvent): void;
  flush(): Promise<void>;
  reset(): void;
}

/** How many deliveries `emu.webhooks.deliveries` keeps: the latest ones. */
export const MAX_DELIVERIES_KEPT = 1_000;

/** The lane of an event: its conversation, else its user. */
function laneOf(event: WebhookEvent): string {
  const data = event.data as {
    conversation?: { id?: string };
    user?: { id?: string };
  };
  return data.conversation?.id !== undefined
    ? `conversation ${data.conversation.id}`
    : `user ${data.user?.id ?? ""}`;
}

function createDeliveryQueue(deps: WebhookDeps): DeliveryQueue {
  let deliveries: WebhookDelivery[] = [];
  /** Per lane, the events not yet done; the first is under way. */
  const lanes = new Map<string, WebhookDelivery[]>();
  let idle: (() => void)[] = [];
  // Aborted by reset(): what is under way stops, and nothing queued before
  // the reset is sent after it.
  let stop = new AbortController();

  async function run(lane: string, jobs: WebhookDelivery[]): Promise<void> {
    const { signal } = stop;
    while (jobs.length && !signal.aborted) {
      const delivery = jobs[0]!;
      await deliver(deps, delivery, signal).catch((error: unknown) => {
        // Not expected (deliver catches what a request throws); still,
        // a failure here must not stop the lane or hold flush().
        delivery.state = "failed";
        delivery.error = `the emulator failed: ${String(error)}`;
      });
      jobs.shift();
    }
    if (lanes.get(lane) === jobs) lanes.delete(lane);
    if (lanes.size === 0) {
      const waiting = idle;
      idle = [];
      for (const resolve of waiting) resolve();
    }
  }

  return {
    get deliveries() {
      return deliveries;
    },
    push(event) {
      const delivery: WebhookDelivery = {
        id: event.id!,
        type: event.type as WebhookEventType,
        event,
        state: "pending",
        attempts: 0,
      };
      deliveries.push(delivery);
      if (deliveries.length > MAX_DELIVERIES_KEPT) {
        deliveries = deliveries.slice(-MAX_DELIVERIES_KEPT);
      }
      const lane = laneOf(event);
      const jobs = lanes.get(lane);
      if (jobs) {
        jobs.push(delivery);
        return;
      }
      const fresh = [delivery];
      lanes.set(lane, fresh);
      // A macrotask later: the answer of the REST call that caused the
      // event goes out first, and a slow handler never holds it.
      setTimeout(() => run(lane, fresh), 0);
    },
    flush() {
      return lanes.size === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => idle.push(resolve));
    },
    reset() {
      stop.abort();
      stop = new AbortController();
      lanes.clear();
      deliveries = [];
      const waiting = idle;
      idle = [];
      for (const resolve of waiting) resolve();
    },
  };
}

/** Sends one event: up to two attempts, the second one retry delay after the first. */
async function deliver(
  deps: WebhookDeps,
  delivery: WebhookDelivery,
  signal: AbortSignal,
): Promise<void> {
  const body = JSON.stringify(delivery.event);
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    if (attempt > 1) await deps.clock.sleep(WEBHOOK_RETRY_DELAY_MS, signal);
    delivery.attempts = attempt;
    const { status, error } = await attemptOnce(deps, body, signal);
    if (status === undefined) delete delivery.status;
    else delivery.status = status;
    if (error === undefined) {
      delete delivery.error;
      delivery.state = "delivered";
      return;
    }
    delivery.error = error;
  }
  delivery.state = "failed";
}

const TIMED_OUT = Symbol("timed out");

/**
 * One signed POST, raced against the timeout on the emulator's clock. A
 * late answer is dropped (its body cancelled); the request's signal aborts.
 */
async function attemptOnce(
  deps: WebhookDeps,
  body: string,
  stop: AbortSignal,
): Promise<{ status?: number; error?: string }> {
  const { options, clock, secretKey } = deps;
  const abort = new AbortController();
  const timer = new AbortController();
  // A reset ends the wait at once, as a timeout would.
  const onStop = () => timer.abort();
  stop.addEventListener("abort", onStop, { once: true });
  try {
    const headers = await signWebhook({ secret: secretKey, body, clock });
    const request = new Request(options!.url, {
      method: "POST",
      headers: {
        ...headers,
        "content-type": "application/json",
        "user-agent": "talkjs-rest-emulator",
      },
      body,
      signal: abort.signal,
    });
    const answered = Promise.resolve().then(() => options!.fetch(request))
      .then(readAnswer);
    // Ends after the timeout, or at once on a reset (the timer aborted).
    const done = (): typeof TIMED_OUT => TIMED_OUT;
    const timeout = clock.sleep(WEBHOOK_TIMEOUT_MS, timer.signal).then(
      done,
      done,
    );
    // Whichever loses must not become an unhandled rejection.
    answered.catch(() => {});
    timeout.catch(() => {});
    const outcome = await Promise.race([answered, timeout]);
    if (outcome === TIMED_OUT) {
      abort.abort(new Error("webhook timed out"));
      return { error: `no answer within ${WEBHOOK_TIMEOUT_MS} ms` };
    }
    return outcome;
  } catch (error) {
    return { error: `the request failed: ${String(error)}` };
  } finally {
    stop.removeEventListener("abort", onStop);
    timer.abort();
  }
}

/** The answer's status, and for a non-200 one the start of its body. */
async function readAnswer(
  response: Response,
): Promise<{ status: number; error?: string }> {
  const { status } = response;
  if (status === 200) {
    // Not awaited: a body whose cancel never settles must not turn the
    // 200 into "no answer".
    response.body?.cancel().catch(() => {});
    return { status };
  }
  let text = "";
  try {
    const reader = response.body?.getReader();
    const first = await reader?.read();
    reader?.cancel().catch(() => {});
    text = new TextDecoder().decode(first?.value ?? new Uint8Array())
      .slice(0, 300);
  } catch {
    // The status says enough.
  }
  return {
    status,
    error: `answered ${status} (TalkJS retries anything but a 200)${
      text ? `: ${text}` : ""
    }`,
  };
}
