/**
 * A user's participation in a conversation.
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
 * The profile fields a TalkJS user has as stored ({@linkcode User}) and as
 * sent ({@linkcode UserInput}). In a `PUT`, a field left out stays as it is
 * and `null` clears it.
 */
export interface UserProfile {
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
  /** Text shown as the user's availability. */
  availabilityText?: string | null;
  /**
   * Push notification devices, keyed `"fcm:<token>"` (Android) or
   * `"apns:<token>"` (iOS). In a `PUT`, `true` registers one and `null`
   * unregisters it; `null` for the whole field unregisters every device.
   */
  pushTokens?: Record<string, true | null> | null;
}

/**
 * A TalkJS user, as `GET /users/{id}` answers it.
 */
export interface User extends UserProfile {
  /** The user's ID. */
  id: string;
  /** Display name. */
  name: string;
  /** Free-form string fields. */
  custom?: Record<string, string>;
  /** Header photo URL, or `null`. */
  headerPhotoUrl?: string | null;
  /** Creation time, milliseconds since the epoch. */
  createdAt: number;
}

/**
 * What `PUT /users/{id}` takes: only sent fields change; `name` is required on create.
 */
export interface UserInput extends UserProfile {
  /** Display name (required when the user does not exist yet). */
  name?: string;
  /** Free-form string fields, merged: a `null` value removes its key, `null` removes every key. */
  custom?: Record<string, string | null> | null;
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
 */
export interface ParticipantInput {
  /** Default `"ReadWrite"`. */
  access?: "ReadWrite" | "Read";
  /** Default `true`. */
  notify?: boolean | "MentionsOnly";
}

/**
 * What `PATCH /conversations/{cid}/participants/{uid}` takes: only sent fields change.
 */
export interface ParticipantPatch {
  /** `"None"` removes read access while keeping the participation. */
  access?: "ReadWrite" | "Read" | "None";
  /** Notification setting. */
  notify?: boolean | "MentionsOnly";
}

/**
 * A message sent by a user through `POST /conversations/{cid}/messages`.
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
 */
export type MessageInput = UserMessageInput | SystemMessageInput;

/**
 * A message for `POST /import/conversations/{cid}/messages`: history, kept at its timestamp.
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
 */
export type BatchResult = [seq: string | number, status: number, body: unknown];

/**
 * One page of a list endpoint.
 */
export interface Page<T> {
  /** The records, newest first. */
  data: T[];
}

/**
 * The parameters every list takes.
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
