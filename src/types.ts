/** A user's participation in a conversation. */
export interface Participation {
  /** What the user may do. */
  access: "ReadWrite" | "Read";
  /** Whether the user gets notifications. */
  notify: boolean | "MentionsOnly";
}

/** A TalkJS user, as `GET /users/{id}` answers it. */
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
  /** Creation time, milliseconds since the epoch. */
  createdAt: number;
}

/** What `PUT /users/{id}` takes: only sent fields change; `name` is required on create. */
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
  /** Free-form string fields, merged. */
  custom?: Record<string, string>;
}

/** A TalkJS message. */
export interface Message {
  /** The message's ID. */
  id: string;
  /** The conversation it belongs to. */
  conversationId: string;
  /** Sent by a user or by the system. */
  type: "UserMessage" | "SystemMessage";
  /** The sender's user ID; `null` for system messages. */
  senderId: string | null;
  /** The text. */
  text: string | null;
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
  attachment: { url: string; size: number } | null;
  /** A shared location `[lat, lng]`, or `null`. */
  location: [number, number] | null;
}

/** A TalkJS conversation. */
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
  /** Creation time, milliseconds since the epoch. */
  createdAt: number;
}

/** What `PUT /conversations/{id}` takes. Participants are merged, never removed. */
export interface ConversationInput {
  /** User IDs to add as participants. */
  participants?: string[];
  /** Subject line; `null` clears. */
  subject?: string | null;
  /** Welcome messages; `null` clears. */
  welcomeMessages?: string[] | null;
  /** Free-form string fields, merged. */
  custom?: Record<string, string>;
  /** Photo URL; `null` clears. */
  photoUrl?: string | null;
}

/** What `PUT /conversations/{cid}/participants/{uid}` takes. */
export interface ParticipantInput {
  /** Default `"ReadWrite"`. */
  access?: "ReadWrite" | "Read";
  /** Default `true`. */
  notify?: boolean | "MentionsOnly";
}

/** What `PATCH /conversations/{cid}/participants/{uid}` takes: only sent fields change. */
export interface ParticipantPatch {
  /** `"None"` removes read access while keeping the participation. */
  access?: "ReadWrite" | "Read" | "None";
  /** Notification setting. */
  notify?: boolean | "MentionsOnly";
}

/** A message sent by a user through `POST /conversations/{cid}/messages`. */
export interface UserMessageInput {
  /** Always `"UserMessage"`. */
  type: "UserMessage";
  /** The sender's user ID; must be a participant. */
  sender: string;
  /** The text. */
  text: string;
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

/** A system message sent through `POST /conversations/{cid}/messages`. */
export interface SystemMessageInput {
  /** Always `"SystemMessage"`. */
  type: "SystemMessage";
  /** The text. */
  text: string;
  /** Free-form string fields. */
  custom?: Record<string, string>;
}

/** Any message `messages.send` takes. */
export type MessageInput = UserMessageInput | SystemMessageInput;

/** A message for `POST /import/conversations/{cid}/messages`: history, kept at its timestamp. */
export interface ImportMessageInput {
  /** Always `"UserMessage"`. */
  type: "UserMessage";
  /** The sender's user ID. */
  sender: string;
  /** The text. */
  text: string;
  /** When it was sent, milliseconds since the epoch. */
  timestamp: number;
  /** IDs of the users who read it. */
  readBy?: string[];
  /** Free-form string fields. */
  custom?: Record<string, string>;
}

/** What `POST /conversations/{cid}/notifications` takes. */
export interface NotificationInput {
  /** The channels to notify through. */
  channels: ("email" | "sms")[];
  /** User IDs to notify; default all participants. */
  recipients?: string[];
}

/** One operation of `POST /batch`: `[seq, method, path, payload?]`, path relative to `/v1/{appId}`. */
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
  ];

/** One result of `POST /batch`: `[seq, status, body]`. */
export type BatchResult = [seq: string | number, status: number, body: unknown];

/** One page of a list endpoint. */
export interface Page<T> {
  /** The records, newest first. */
  data: T[];
}

/** The parameters every list takes. */
export interface ListParams {
  /** Page size, from 1 to the list's `maxLimit`. TalkJS's default is 10. */
  limit?: number;
  /** The ID of the last record of the previous page. */
  startingAfter?: string;
  /** Aborts the request. */
  signal?: AbortSignal;
}

/**
 * A list endpoint as a function: `(params) => Promise<Page<T>>`, with the
 * largest `limit` it accepts. `paginate` and `listAll` take any such function.
 */
// deno-lint-ignore ban-types
export type ListFn<T, P = {}> =
  & ((params?: ListParams & P) => Promise<Page<T>>)
  & {
    /** The largest `limit` this list accepts. */
    readonly maxLimit: number;
  };

/** Extra filters of `GET /conversations` and `GET /users/{id}/conversations`. */
export interface ConversationFilters {
  /** Only conversations whose last message is older than this, ms since the epoch. */
  lastMessageBefore?: number;
  /** Only conversations whose last message is newer than this, ms since the epoch. */
  lastMessageAfter?: number;
  /** Sort key. */
  orderBy?: "lastMessageTs" | "createdAt" | "lastActivity";
  /** Sort direction. */
  orderDirection?: "ASC" | "DESC";
}
