import type {
  Conversation,
  Message,
  Participation,
  PresenceSession,
  User,
} from "../types.ts";
import { createSortedIndex, type SortedIndex } from "./_index.ts";
import { createRandom } from "./_random.ts";

/**
 * A notification recorded by `POST /conversations/{cid}/notifications`.
 */
export interface EmulatorNotification {
  /** The conversation. */
  conversationId: string;
  /** The channels asked for. */
  channels: ("email" | "sms")[];
  /**
   * The recipients: those given, else the participants with unanswered
   * messages (the emulator's reading: all but the sender of the latest
   * message).
   */
  recipients: string[];
  /** The `emailSettings` asked for, if any. */
  emailSettings?: Record<string, string>;
  /** The `smsSettings` asked for, if any. */
  smsSettings?: Record<string, string>;
  /** When it was asked for, on the emulator's clock. */
  createdAt: number;
}

/** @internal A participation as stored: PATCH may set `access: "None"`. */
export interface StoredParticipation {
  access: "ReadWrite" | "Read" | "None";
  notify: boolean | "MentionsOnly";
}

/** @internal A conversation with its messages and idempotency keys. */
export interface ConversationRecord {
  id: string;
  subject: string | null;
  photoUrl: string | null;
  welcomeMessages: string[] | null;
  custom: Record<string, string>;
  /** userId → participation; a null-prototype object. */
  participants: Record<string, StoredParticipation>;
  createdAt: number;
  seq: number;
  messages: SortedIndex;
  messagesById: Map<string, Message>;
  /** idempotencyKey → message ID. */
  keys: Map<string, string>;
}

/** @internal A file uploaded through `POST /files`. */
export interface StoredFile {
  /** The bytes, served as they are (a Blob is read, never copied, per download). */
  blob: Blob;
  /** The file part's media type. */
  type: string;
  filename: string;
  /** Where the emulator serves it: `{origin}/files/{token}`. */
  url: string;
}

/** @internal A user's sessions, as a test set them. */
export interface StoredPresence {
  widgets: PresenceSession[];
  backgroundSessions: PresenceSession[];
}

/** @internal The emulator's data, with the indexes that keep lists fast. */
export interface Store {
  readonly users: Map<string, User>;
  readonly userIndex: SortedIndex;
  readonly conversations: Map<string, ConversationRecord>;
  readonly conversationIndex: SortedIndex;
  /** userId → IDs of the conversations the user takes part in. */
  readonly userConversations: Map<string, Set<string>>;
  /**
   * userId → IDs of the conversations the user left (before API version
   * 2021-07-30 they stay in the user's list).
   */
  readonly userLeft: Map<string, Set<string>>;
  readonly notifications: EmulatorNotification[];
  /** attachmentToken → uploaded file. */
  readonly files: Map<string, StoredFile>;
  /** userId → sessions of an online user. */
  readonly presences: Map<string, StoredPresence>;
  nextSeq(): number;
  newMessageId(): string;
  createConversation(id: string, createdAt: number): ConversationRecord;
  deleteConversation(id: string): boolean;
  setParticipant(
    conv: ConversationRecord,
    userId: string,
    p: StoredParticipation,
  ): void;
  removeParticipant(conv: ConversationRecord, userId: string): boolean;
  addMessage(conv: ConversationRecord, message: Message): void;
  removeMessage(conv: ConversationRecord, messageId: string): boolean;
  lastMessage(conv: ConversationRecord): Message | null;
  /** Whether a message from someone else lacks `userId` in its readBy. */
  isUnread(conv: ConversationRecord, userId: string): boolean;
  /** A detached copy of the conversation as the API answers it. */
  view(conv: ConversationRecord): Conversation;
  reset(): void;
}

/** The store's collections, emptied by `reset()`. */
type StoreData = Pick<
  Store,
  | "users"
  | "userIndex"
  | "conversations"
  | "conversationIndex"
  | "userConversations"
  | "userLeft"
  | "notifications"
  | "files"
  | "presences"
>;

function createData(): StoreData {
  return {
    users: new Map(),
    userIndex: createSortedIndex(),
    conversations: new Map(),
    conversationIndex: createSortedIndex(),
    userConversations: new Map(),
    userLeft: new Map(),
    notifications: [],
    files: new Map(),
    presences: new Map(),
  };
}

function clearData(data: StoreData): void {
  for (const collection of Object.values(data)) {
    if (Array.isArray(collection)) collection.length = 0;
    else collection.clear();
  }
}

/**
 * The insertion counter that breaks ties between records of one
 * millisecond, and the message IDs: sortable and unique per emulator, with
 * a seeded tail so IDs look opaque like TalkJS's and are the same on every
 * run.
 */
function createSequence(seed: number) {
  let seq = 0;
  let messageCounter = 0;
  let random = createRandom(seed);
  return {
    nextSeq: () => ++seq,
    newMessageId(): string {
      messageCounter++;
      const tail = Math.floor(random() * 2 ** 32).toString(36);
      return `msg_${messageCounter.toString(36).padStart(6, "0")}${tail}`;
    },
    reset(): void {
      seq = 0;
      messageCounter = 0;
      random = createRandom(seed);
    },
  };
}

function newConversation(
  id: string,
  createdAt: number,
  seq: number,
): ConversationRecord {
  return {
    id,
    subject: null,
    photoUrl: null,
    welcomeMessages: null,
    custom: {},
    // No prototype: a user ID such as "constructor" or "__proto__" is
    // just a key, never Object.prototype's.
    participants: Object.create(null),
    createdAt,
    seq,
    messages: createSortedIndex(),
    messagesById: new Map(),
    keys: new Map(),
  };
}

function lastMessage(conv: ConversationRecord): Message | null {
  const id = conv.messages.newest();
  return id === undefined ? null : conv.messagesById.get(id) ?? null;
}

/** Whether a message from someone else lacks `userId` in its readBy. */
function isUnread(conv: ConversationRecord, userId: string): boolean {
  for (const message of conv.messagesById.values()) {
    if (message.senderId !== userId && !message.readBy.includes(userId)) {
      return true;
    }
  }
  return false;
}

/** A detached copy of the conversation as the API answers it. */
function conversationView(conv: ConversationRecord): Conversation {
  const last = lastMessage(conv);
  return {
    id: conv.id,
    subject: conv.subject,
    photoUrl: conv.photoUrl,
    welcomeMessages: conv.welcomeMessages ? [...conv.welcomeMessages] : null,
    custom: { ...conv.custom },
    lastMessage: last ? structuredClone(last) : null,
    participants: Object.fromEntries(
      Object.entries(conv.participants).map((
        [userId, p],
      ): [string, Participation] => [
        userId,
        { ...p, isUnread: isUnread(conv, userId) },
      ]),
    ),
    topicId: null,
    createdAt: conv.createdAt,
  };
}

/** Adds `id` to the set at `key` of `map`, creating the set if needed. */
function addTo(map: Map<string, Set<string>>, key: string, id: string): void {
  let set = map.get(key);
  if (!set) map.set(key, set = new Set());
  set.add(id);
}

/** Participants and the per-user lists that follow them. */
function participantOps(data: StoreData) {
  const { userConversations, userLeft } = data;
  return {
    setParticipant(
      conv: ConversationRecord,
      userId: string,
      p: StoredParticipation,
    ): void {
      conv.participants[userId] = p;
      addTo(userConversations, userId, conv.id);
      userLeft.get(userId)?.delete(conv.id);
    },
    removeParticipant(conv: ConversationRecord, userId: string): boolean {
      if (!Object.hasOwn(conv.participants, userId)) return false;
      delete conv.participants[userId];
      userConversations.get(userId)?.delete(conv.id);
      addTo(userLeft, userId, conv.id);
      return true;
    },
  };
}

/**
 * @internal Creates an empty store whose message IDs come from `seed`: the
 * same calls give the same IDs on every run.
 */
export function createStore(seed: number): Store {
  const data = createData();
  const sequence = createSequence(seed);
  const { conversations, conversationIndex } = data;
  return {
    ...data,
    nextSeq: sequence.nextSeq,
    newMessageId: sequence.newMessageId,
    createConversation(id, createdAt) {
      const conv = newConversation(id, createdAt, sequence.nextSeq());
      conversations.set(id, conv);
      conversationIndex.insert(id, createdAt, conv.seq);
      return conv;
    },
    deleteConversation(id) {
      const conv = conversations.get(id);
      if (!conv) return false;
      for (const userId of Object.keys(conv.participants)) {
        data.userConversations.get(userId)?.delete(id);
      }
      for (const left of data.userLeft.values()) left.delete(id);
      conversations.delete(id);
      conversationIndex.remove(id);
      return true;
    },
    ...participantOps(data),
    addMessage(conv, message) {
      conv.messagesById.set(message.id, message);
      conv.messages.insert(message.id, message.createdAt, sequence.nextSeq());
    },
    removeMessage(conv, messageId) {
      if (!conv.messagesById.delete(messageId)) return false;
      conv.messages.remove(messageId);
      return true;
    },
    lastMessage,
    isUnread,
    view: conversationView,
    reset() {
      clearData(data);
      sequence.reset();
    },
  };
}
