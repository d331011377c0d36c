import type {
  Conversation,
  Message,
  Participation,
  PresenceSession,
  User,
} from "../types.ts";
import { createSortedIndex, type SortedIndex } from "./_index.ts";
import { createRandom } from "./_random.ts";
import type { EmulatorNotification } from "./emulator.ts";

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

/**
 * @internal Creates an empty store whose message IDs come from `seed`: the
 * same calls give the same IDs on every run.
 */
export function createStore(seed: number): Store {
  const users = new Map<string, User>();
  const userIndex = createSortedIndex();
  const conversations = new Map<string, ConversationRecord>();
  const conversationIndex = createSortedIndex();
  const userConversations = new Map<string, Set<string>>();
  const userLeft = new Map<string, Set<string>>();
  const notifications: EmulatorNotification[] = [];
  const files = new Map<string, StoredFile>();
  const presences = new Map<string, StoredPresence>();
  let seq = 0;
  let messageCounter = 0;
  let random = createRandom(seed);

  /** Whether a message from someone else lacks `userId` in its readBy. */
  function isUnread(conv: ConversationRecord, userId: string): boolean {
    for (const message of conv.messagesById.values()) {
      if (message.senderId !== userId && !message.readBy.includes(userId)) {
        return true;
      }
    }
    return false;
  }

  function lastMessage(conv: ConversationRecord): Message | null {
    const id = conv.messages.newest();
    return id === undefined ? null : conv.messagesById.get(id) ?? null;
  }

  return {
    users,
    userIndex,
    conversations,
    conversationIndex,
    userConversations,
    userLeft,
    notifications,
    files,
    presences,
    nextSeq: () => ++seq,
    newMessageId() {
      // Sortable and unique per emulator, with a seeded tail so IDs look
      // opaque like TalkJS's and are the same on every run.
      messageCounter++;
      const tail = Math.floor(random() * 2 ** 32).toString(36);
      return `msg_${messageCounter.toString(36).padStart(6, "0")}${tail}`;
    },
    createConversation(id, createdAt) {
      const conv: ConversationRecord = {
        id,
        subject: null,
        photoUrl: null,
        welcomeMessages: null,
        custom: {},
        // No prototype: a user ID such as "constructor" or "__proto__" is
        // just a key, never Object.prototype's.
        participants: Object.create(null),
        createdAt,
        seq: ++seq,
        messages: createSortedIndex(),
        messagesById: new Map(),
        keys: new Map(),
      };
      conversations.set(id, conv);
      conversationIndex.insert(id, createdAt, conv.seq);
      return conv;
    },
    deleteConversation(id) {
      const conv = conversations.get(id);
      if (!conv) return false;
      for (const userId of Object.keys(conv.participants)) {
        userConversations.get(userId)?.delete(id);
      }
      for (const left of userLeft.values()) left.delete(id);
      conversations.delete(id);
      conversationIndex.remove(id);
      return true;
    },
    setParticipant(conv, userId, p) {
      conv.participants[userId] = p;
      let set = userConversations.get(userId);
      if (!set) userConversations.set(userId, set = new Set());
      set.add(conv.id);
      userLeft.get(userId)?.delete(conv.id);
    },
    removeParticipant(conv, userId) {
      if (!Object.hasOwn(conv.participants, userId)) return false;
      delete conv.participants[userId];
      userConversations.get(userId)?.delete(conv.id);
      let left = userLeft.get(userId);
      if (!left) userLeft.set(userId, left = new Set());
      left.add(conv.id);
      return true;
    },
    addMessage(conv, message) {
      conv.messagesById.set(message.id, message);
      conv.messages.insert(message.id, message.createdAt, ++seq);
    },
    removeMessage(conv, messageId) {
      if (!conv.messagesById.delete(messageId)) return false;
      conv.messages.remove(messageId);
      return true;
    },
    lastMessage,
    isUnread,
    view(conv) {
      const last = lastMessage(conv);
      return {
        id: conv.id,
        subject: conv.subject,
        photoUrl: conv.photoUrl,
        welcomeMessages: conv.welcomeMessages
          ? [...conv.welcomeMessages]
          : null,
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
    },
    reset() {
      users.clear();
      userIndex.clear();
      conversations.clear();
      conversationIndex.clear();
      userConversations.clear();
      userLeft.clear();
      notifications.length = 0;
      files.clear();
      presences.clear();
      seq = 0;
      messageCounter = 0;
      random = createRandom(seed);
    },
  };
}
