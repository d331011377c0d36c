/**
 * A user's participation in a conversation.
 *
 * @example Find who may write
 * ```ts
 * import type { Participation } from "@unofficial/talkjs-rest";
 *
 * const participants: Record<string, Participation> = {
 *   alice: { access: "ReadWrite", notify: true },
 *   bob: { access: "Read", notify: "MentionsOnly" },
 * };
 * const writers = Object.keys(participants).filter((id) => participants[id]?.access === "ReadWrite");
 * console.log(writers); // [ "alice" ]
 * ```
 */
export interface Participation {
  /**
   * What the user may do; `"None"` after a participants PATCH took read
   * access away (the participation stays).
   */
  access: "ReadWrite" | "Read" | "None";
  /** Whether the user gets notifications. */
  notify: boolean | "MentionsOnly";
  /** Whether the conversation has messages this user has not read (in answers; older API copies leave it out). */
  isUnread?: boolean;
}

/**
 * A TalkJS user, as `GET /users/{id}` answers it.
 *
 * @example Read a stored user
 * ```ts
 * import { createClient, type User } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 *
 * await talk.users.put("alice", { name: "Alice", email: ["alice@example.com"] });
 * const user: User = await talk.users.get("alice");
 * console.log(user.name, user.email?.[0]); // Alice alice@example.com
 * ```
 */
export interface User {
  /** The user's ID. */
  id: string;
  /** Display name. */
  name: string;
  /** Email addresses. */
  email?: string[] | null;
  /** Phone numbers. */
  phone?: string[] | null;
  /** Avatar URL. */
  photoUrl?: string | null;
  /** Welcome message shown in new conversations. */
  welcomeMessage?: string | null;
  /** The user's role. */
  role?: string | null;
  /** Locale, e.g. `en-US`. */
  locale?: string | null;
  /** Free-form string fields. */
  custom?: Record<string, string>;
  /** Text shown as the user's availability, or `null`. */
  availabilityText?: string | null;
  /** Header photo URL, or `null`. */
  headerPhotoUrl?: string | null;
  /** Registered devices, `"fcm:<token>"` or `"apns:<token>"`, or `null`. */
  pushTokens?: Record<string, true | null> | null;
  /** Creation time, milliseconds since the epoch. */
  createdAt: number;
}

/**
 * What `PUT /users/{id}` takes: only sent fields change; `name` is required on create.
 *
 * @example Create a user, then clear one field
 * ```ts
 * import { createClient, type UserInput } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 *
 * const input: UserInput = { name: "Alice", role: "admin", custom: { plan: "pro" } };
 * await talk.users.put("alice", input);
 * await talk.users.put("alice", { role: null });
 * const user = await talk.users.get("alice");
 * console.log(user.role ?? "no role", user.custom?.plan); // no role pro
 * ```
 */
export interface UserInput {
  /** Display name (required when the user does not exist yet). */
  name?: string;
  /** Email addresses; `null` clears. */
  email?: string[] | null;
  /** Phone numbers; `null` clears. */
  phone?: string[] | null;
  /** Avatar URL; `null` clears. */
  photoUrl?: string | null;
  /** Welcome message; `null` clears. */
  welcomeMessage?: string | null;
  /** Role; `null` clears. */
  role?: string | null;
  /** Locale; `null` clears. */
  locale?: string | null;
  /** Free-form string fields, merged: a `null` value removes its key, `null` removes every key. */
  custom?: Record<string, string | null> | null;
  /** Availability text; `null` clears. */
  availabilityText?: string | null;
  /**
   * Push notification devices, keyed `"fcm:<token>"` (Android) or
   * `"apns:<token>"` (iOS): `true` registers one, `null` unregisters it;
   * `null` for the whole field unregisters every device.
   */
  pushTokens?: Record<string, true | null> | null;
  /**
   * The old name of `role`, which TalkJS still takes.
   * @deprecated Use `role`.
   */
  configuration?: string | null;
  /** The user's own ID, as TalkJS's examples send it: must match the path's. */
  id?: string;
}

/**
 * A TalkJS message.
 *
 * @example Read the newest message
 * ```ts
 * import { createClient, type Message } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 *
 * await talk.users.put("alice", { name: "Alice" });
 * await talk.conversations.put("c1", { participants: ["alice"] });
 * await talk.messages.send("c1", { type: "UserMessage", sender: "alice", text: "Hi" });
 * const [newest]: Message[] = (await talk.messages.list({ conversationId: "c1" })).data;
 * console.log(newest?.senderId, newest?.text, newest?.origin); // alice Hi rest
 * ```
 */
export interface Message {
  /** The message's ID. */
  id: string;
  /** The conversation it belongs to. */
  conversationId: string;
  /** Sent by a user or by the system. */
  type: "UserMessage" | "SystemMessage";
  /** The sender's user ID; `null` for system messages. */
  senderId: string | null;
  /** The text; TalkJS gives it only for a text message. */
  text?: string | null;
  /** IDs of the users who read it. */
  readBy: string[];
  /** Free-form string fields. */
  custom: Record<string, string>;
  /** Where it came from. */
  origin: "web" | "rest" | "email" | "import";
  /** Creation time, milliseconds since the epoch. */
  createdAt: number;
  /** Last edit time, or `null`. */
  editedAt: number | null;
  /** The message it replies to, or `null`. */
  referencedMessageId: string | null;
  /** An attached file, or `null`. */
  attachment?: { url: string; size: number } | null;
  /** A shared location `[lat, lng]`, or `null`; TalkJS gives it only for a shared location. */
  location?: [number, number] | null;
}

/**
 * A TalkJS conversation.
 *
 * @example Read a stored conversation
 * ```ts
 * import { createClient, type Conversation } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 *
 * await talk.users.put("alice", { name: "Alice" });
 * await talk.conversations.put("c1", { participants: ["alice"], subject: "Support" });
 * const conversation: Conversation = await talk.conversations.get("c1");
 * console.log(conversation.subject, Object.keys(conversation.participants)); // Support [ "alice" ]
 * ```
 */
export interface Conversation {
  /** The conversation's ID. */
  id: string;
  /** Subject line, or `null`. */
  subject: string | null;
  /** Photo URL, or `null`. */
  photoUrl: string | null;
  /** Welcome messages, or `null`. */
  welcomeMessages: string[] | null;
  /** Free-form string fields. */
  custom: Record<string, string>;
  /** The newest message, or `null`. */
  lastMessage: Message | null;
  /** Participants by user ID. */
  participants: Record<string, Participation>;
  /** The conversation's topic, or `null` (the emulator's value when it has none). */
  topicId?: string | null;
  /** Creation time, milliseconds since the epoch. */
  createdAt: number;
}

/**
 * What `PUT /conversations/{id}` takes. Participants are merged, never removed.
 *
 * @example Create a conversation, then add to it
 * ```ts
 * import { createClient, type ConversationInput } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 *
 * await talk.users.putMany({ alice: { name: "Alice" }, bob: { name: "Bob" } });
 * const input: ConversationInput = { participants: ["alice"], subject: "Support", custom: { ticket: "42" } };
 * await talk.conversations.put("c1", input);
 * await talk.conversations.put("c1", { participants: ["bob"] }); // adds Bob, keeps Alice
 * console.log(Object.keys((await talk.conversations.get("c1")).participants)); // [ "alice", "bob" ]
 * ```
 */
export interface ConversationInput {
  /** User IDs to add as participants. */
  participants?: string[];
  /** Subject line; `null` clears. */
  subject?: string | null;
  /** Welcome messages; `null` clears. */
  welcomeMessages?: string[] | null;
  /** Free-form string fields, merged: a `null` value removes its key, `null` removes every key. */
  custom?: Record<string, string | null> | null;
  /** Photo URL; `null` clears. */
  photoUrl?: string | null;
  /** The conversation's own ID, as TalkJS's examples send it: must match the path's. */
  id?: string;
}

/**
 * What `PUT /conversations/{cid}/participants/{uid}` takes.
 *
 * @example Add a read-only participant
 * ```ts
 * import { createClient, type ParticipantInput } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 *
 * await talk.users.putMany({ alice: { name: "Alice" }, bob: { name: "Bob" } });
 * await talk.conversations.put("c1", { participants: ["alice"] });
 * const observer: ParticipantInput = { access: "Read", notify: false };
 * await talk.participants.put("c1", "bob", observer);
 * console.log((await talk.conversations.get("c1")).participants["bob"]); // { access: "Read", notify: false }
 * ```
 */
export interface ParticipantInput {
  /** Default `"ReadWrite"`. */
  access?: "ReadWrite" | "Read";
  /** Default `true`. */
  notify?: boolean | "MentionsOnly";
}

/**
 * What `PATCH /conversations/{cid}/participants/{uid}` takes: only sent fields change.
 *
 * @example Mute a participant
 * ```ts
 * import { createClient, type ParticipantPatch } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 *
 * await talk.users.put("alice", { name: "Alice" });
 * await talk.conversations.put("c1", { participants: ["alice"] });
 * const mute: ParticipantPatch = { notify: false };
 * await talk.participants.patch("c1", "alice", mute);
 * console.log((await talk.conversations.get("c1")).participants["alice"]); // { access: "ReadWrite", notify: false }
 * ```
 */
export interface ParticipantPatch {
  /** `"None"` removes read access while keeping the participation. */
  access?: "ReadWrite" | "Read" | "None";
  /** Notification setting. */
  notify?: boolean | "MentionsOnly";
}

/**
 * A message sent by a user through `POST /conversations/{cid}/messages`.
 *
 * @example Send with your own idempotency key
 * ```ts
 * import { createClient, type UserMessageInput } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 *
 * await talk.users.put("alice", { name: "Alice" });
 * await talk.conversations.put("c1", { participants: ["alice"] });
 * const hello: UserMessageInput = { type: "UserMessage", sender: "alice", text: "Hello", idempotencyKey: "order-42-hello" };
 * const { idempotencyKeys } = await talk.messages.send("c1", hello);
 * console.log(idempotencyKeys); // [ "order-42-hello" ]
 * ```
 */
export interface UserMessageInput {
  /** Always `"UserMessage"`. */
  type: "UserMessage";
  /** The sender's user ID; must be a participant. */
  sender: string;
  /** The text; may be left out when `attachmentToken` is given. */
  text?: string;
  /** A file uploaded with `files.upload`, sent as the message's attachment. */
  attachmentToken?: string;
  /** Free-form string fields. */
  custom?: Record<string, string>;
  /** The message this one replies to. */
  referencedMessageId?: string;
  /**
   * Makes a retried send store the message once. The client fills in a
   * random one when absent.
   */
  idempotencyKey?: string;
}

/**
 * A system message sent through `POST /conversations/{cid}/messages`.
 *
 * @example Announce something in a conversation
 * ```ts
 * import { createClient, type SystemMessageInput } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 *
 * await talk.conversations.put("c1", { subject: "Support" });
 * const notice: SystemMessageInput = { type: "SystemMessage", text: "An agent will join shortly", custom: { kind: "queue" } };
 * await talk.messages.send("c1", notice);
 * console.log(emu.store.messages("c1")[0]?.type); // SystemMessage
 * ```
 */
export interface SystemMessageInput {
  /** Always `"SystemMessage"`. */
  type: "SystemMessage";
  /** The text; may be left out when `attachmentToken` is given. */
  text?: string;
  /** A file uploaded with `files.upload`, sent as the message's attachment. */
  attachmentToken?: string;
  /** Free-form string fields. */
  custom?: Record<string, string>;
}

/**
 * Any message `messages.send` takes.
 *
 * @example Send a mix of messages in one call
 * ```ts
 * import { createClient, type MessageInput } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 *
 * await talk.users.put("alice", { name: "Alice" });
 * await talk.conversations.put("c1", { participants: ["alice"] });
 * const messages: MessageInput[] = [
 *   { type: "SystemMessage", text: "Chat opened" },
 *   { type: "UserMessage", sender: "alice", text: "Hi" },
 * ];
 * const { sent, requests } = await talk.messages.send("c1", messages);
 * console.log(sent, requests); // 2 1
 * ```
 */
export type MessageInput = UserMessageInput | SystemMessageInput;

/**
 * A message for `POST /import/conversations/{cid}/messages`: history, kept at its timestamp.
 *
 * @example Import history at its original time
 * ```ts
 * import { createClient, type ImportMessageInput } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 *
 * await talk.users.put("alice", { name: "Alice" });
 * await talk.conversations.put("c1", { participants: ["alice"] });
 * const history: ImportMessageInput[] = [
 *   { type: "UserMessage", sender: "alice", text: "Hello from 2020", timestamp: Date.UTC(2020, 0, 1) },
 * ];
 * console.log(await talk.messages.import("c1", history)); // { imported: 1, requests: 1 }
 * console.log(emu.store.messages("c1")[0]?.createdAt); // 1577836800000
 * ```
 */
export interface ImportMessageInput {
  /** Always `"UserMessage"`. */
  type: "UserMessage";
  /** The sender's user ID. */
  sender: string;
  /** The text. */
  text: string;
  /** When it was sent, milliseconds since the epoch. */
  timestamp: number;
  /** IDs of the users who read it; TalkJS requires it, so the client sends `[]` when left out. */
  readBy?: string[];
  /** Free-form string fields. */
  custom?: Record<string, string>;
  /** A file uploaded with `files.upload`, imported as the message's attachment. */
  attachmentToken?: string;
}

/**
 * What `POST /conversations/{cid}/notifications` takes.
 *
 * @example Email everyone in a conversation
 * ```ts
 * import { createClient, type NotificationInput } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 *
 * await talk.users.put("alice", { name: "Alice", email: ["alice@example.com"] });
 * await talk.conversations.put("c1", { participants: ["alice"] });
 * const input: NotificationInput = { channels: ["email"] };
 * await talk.conversations.notify("c1", input);
 * console.log(emu.store.notifications()[0]?.recipients); // [ "alice" ]
 * ```
 */
export interface NotificationInput {
  /** The channels to notify through. */
  channels: ("email" | "sms")[];
  /** User IDs to notify; default the participants with unanswered messages. */
  recipients?: string[];
  /** Overrides of the notification email: `subject`, `header`, `footer`, `inboxUrl`, …. */
  emailSettings?: Record<string, string>;
  /** Overrides of the SMS: `smsTemplate`. */
  smsSettings?: Record<string, string>;
}

/**
 * What `PUT /conversations/{cid}/messages/{mid}` takes: only sent fields change.
 */
export interface MessageEditInput {
  /** The new text. */
  text?: string;
  /** Custom fields, merged: a `null` value removes its key, `null` removes every key. */
  custom?: Record<string, string | null> | null;
}

/**
 * One operation of `POST /batch`: `[seq, method, path, payload?, options?]`,
 * path relative to `/v1/{appId}`. A GET's payload holds its query parameters
 * (`{ limit: 5 }`); `options` may pin the operation's API version
 * (`{ api_version: "2021-02-09" }`).
 *
 * @example Create several users in one request
 * ```ts
 * import { createClient, type BatchOperation } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 *
 * const operations: BatchOperation[] = [
 *   [1, "PUT", "/users/alice", { name: "Alice" }],
 *   [2, "PUT", "/users/bob", { name: "Bob" }],
 * ];
 * const results = await talk.batch(operations);
 * console.log(results.map(([seq, status]) => `${seq}: ${status}`)); // [ "1: 200", "2: 200" ]
 * ```
 */
export type BatchOperation =
  | [
    seq: string | number,
    method: "GET" | "PUT" | "POST" | "PATCH" | "DELETE",
    path: string,
  ]
  | [
    seq: string | number,
    method: "GET" | "PUT" | "POST" | "PATCH" | "DELETE",
    path: string,
    payload: unknown,
  ]
  | [
    seq: string | number,
    method: "GET" | "PUT" | "POST" | "PATCH" | "DELETE",
    path: string,
    payload: unknown,
    options: BatchOperationOptions,
  ];

/**
 * The fifth element of a `/batch` operation: options for that operation
 * alone.
 */
export interface BatchOperationOptions {
  /** The API version this operation runs under, like `TalkJS-REST-Version`: `"2021-02-09"`. */
  api_version?: string;
  /** Options TalkJS adds later pass through untouched. */
  [option: string]: unknown;
}

/**
 * One result of `POST /batch`: `[seq, status, body]`.
 *
 * @example Find the operations that failed
 * ```ts
 * import { createClient, type BatchResult } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 *
 * await talk.users.put("alice", { name: "Alice" });
 * const results: BatchResult[] = await talk.batch([
 *   [1, "GET", "/users/alice"],
 *   [2, "GET", "/users/nobody"],
 * ]);
 * const failed = results.filter(([, status]) => status !== 200).map(([seq]) => seq);
 * console.log(failed); // [ 2 ]
 * ```
 */
export type BatchResult = [seq: string | number, status: number, body: unknown];

/**
 * One page of a list endpoint.
 *
 * @example Read one page
 * ```ts
 * import { createClient, type Page, type User } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 *
 * await talk.users.putMany({ alice: { name: "Alice" }, bob: { name: "Bob" } });
 * const page: Page<User> = await talk.users.list({ limit: 1 });
 * console.log(page.data.length); // 1
 * ```
 */
export interface Page<T> {
  /** The records, newest first. */
  data: T[];
}

/**
 * The parameters every list takes.
 *
 * @example Fetch the page after the last record seen
 * ```ts
 * import { createClient, type ListParams } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 *
 * await talk.users.putMany({ a: { name: "A" }, b: { name: "B" }, c: { name: "C" } });
 * const params: ListParams = { limit: 2 };
 * const first = await talk.users.list(params);
 * const next = await talk.users.list({ ...params, startingAfter: first.data.at(-1)!.id });
 * console.log(first.data.length, next.data.length); // 2 1
 * ```
 */
export interface ListParams {
  /** Page size, from 1 to the list's `maxLimit`. TalkJS's default is 10. */
  limit?: number;
  /** The ID of the last record of the previous page. */
  startingAfter?: string;
  /** Aborts the request. */
  signal?: AbortSignal;
}

/** Options of a single call: `talk.messages.get(cid, mid, { signal })`. */
export interface CallOptions {
  /** Aborts the call, its retries and its waits. */
  signal?: AbortSignal;
}

/** Progress of a chunked call (`users.putMany`, `messages.send`, `messages.import`), after each chunk. */
export interface ChunkProgress {
  /** Items stored so far. */
  done: number;
  /** Items to store in all. */
  total: number;
  /** Requests sent so far (one per chunk). */
  requests: number;
}

/**
 * A list endpoint as a function: `(params) => Promise<Page<T>>`, with the
 * largest `limit` it accepts. `paginate` and `listAll` take any such function.
 *
 * @example Write a helper that takes any list
 * ```ts
 * import { createClient, type ListFn } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 *
 * async function firstIds<T extends { id: string }>(list: ListFn<T>): Promise<string[]> {
 *   return (await list({ limit: list.maxLimit })).data.map((record) => record.id);
 * }
 * await talk.users.put("alice", { name: "Alice" });
 * console.log(talk.users.list.maxLimit, await firstIds(talk.users.list)); // 100 [ "alice" ]
 * ```
 */
// deno-lint-ignore ban-types
export type ListFn<T, P = {}> =
  & ((params?: ListParams & P) => Promise<Page<T>>)
  & {
    /** The largest `limit` this list accepts. */
    readonly maxLimit: number;
  };

/**
 * Extra filters of `GET /conversations` and `GET /users/{id}/conversations`.
 * From API version 2021-02-09 (TalkJS's changelog) these lists are ordered
 * by last activity, latest first, by default; before it, by creation,
 * newest first, and `orderBy`, `orderDirection` and `offsetTs` are not taken.
 *
 * @example List conversations by creation, oldest first
 * ```ts
 * import { createClient, type ConversationFilters } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 *
 * await talk.conversations.put("first", { subject: "First" });
 * await talk.conversations.put("second", { subject: "Second" });
 * await talk.messages.send("first", { type: "SystemMessage", text: "Ping" });
 * console.log((await talk.conversations.list()).data.map((c) => c.id)); // [ "first", "second" ]
 * const filters: ConversationFilters = { orderBy: "createdAt", orderDirection: "ASC" };
 * const { data } = await talk.conversations.list({ ...filters, limit: 10 });
 * console.log(data.map((c) => c.id)); // [ "first", "second" ]
 * ```
 */
export interface ConversationFilters {
  /** Only conversations whose last message is older than this, ms since the epoch. */
  lastMessageBefore?: number;
  /** Only conversations whose last message is newer than this, ms since the epoch. */
  lastMessageAfter?: number;
  /**
   * Sort key: last activity (the default) or creation. API version
   * 2021-02-09 on.
   */
  orderBy?: "lastActivity" | "createdAt";
  /** Sort direction (default `"DESC"`). API version 2021-02-09 on. */
  orderDirection?: "ASC" | "DESC";
  /**
   * Pages by time instead of by `startingAfter`: only conversations whose
   * sort key is past this timestamp (ms since the epoch) in the list's
   * direction. API version 2021-02-09 on.
   */
  offsetTs?: number;
}

/**
 * What `POST /presences` takes: which online users to list. Every filter is
 * optional; together they narrow the list.
 */
export interface PresenceFilters {
  /**
   * `false` (TalkJS's default): only users with a visible chat UI (a widget).
   * `true`: every online user; one without a widget comes with empty `widgets`.
   */
  includeBackgroundSessions?: boolean;
  /**
   * Only users who have this conversation selected; `null`: only users online
   * with no conversation selected.
   */
  selectedConversationId?: string | null;
  /** `true`: only users watching the chat UI; `false`: only users who are not. */
  hasFocus?: boolean;
  /** Only users who are typing (`true`) or not (`false`). */
  isTyping?: boolean;
  /** Only these users. */
  userIds?: string[];
}

/** One session of an online user: a visible chat UI (a widget) or a background session. */
export interface PresenceSession {
  /** The conversation selected in it, or `null`. */
  selectedConversationId: string | null;
  /** Free-form string fields. */
  custom: Record<string, string>;
  /** Whether the user is watching it. */
  hasFocus: boolean;
  /** Whether the user is typing in it. */
  isTyping: boolean;
  /** The session's ID. */
  sessionId: string;
  /** Fields TalkJS adds later pass through untouched. */
  [field: string]: unknown;
}

/** An online user, as `POST /presences` answers it. */
export interface Presence {
  /** `"online"`. */
  status: string;
  /** Background sessions (listed with `includeBackgroundSessions: true`). */
  backgroundSessions: PresenceSession[];
  /** Sessions with a visible chat UI (an inbox, a chatbox or a popup). */
  widgets: PresenceSession[];
  /** Fields TalkJS adds later pass through untouched. */
  [field: string]: unknown;
}
