import type { Conversation, Message, User } from "../types.ts";
import type { EmulatorNotification, Store } from "./_store.ts";

/**
 * Read-only views of what an {@linkcode Emulator} holds, for tests that
 * check what really was stored. Every call returns fresh copies, oldest
 * first (by `createdAt`, then insertion).
 *
 * @example Look at stored messages
 * ```ts
 * import { createEmulator, type EmulatorStore } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const store: EmulatorStore = emu.store;
 * console.log(store.users().length, store.messages("c1").length); // 0 0
 * ```
 */
export interface EmulatorStore {
  /** Every user. */
  users(): User[];
  /**
   * One user.
   * @param userId The user's ID.
   */
  user(userId: string): User | undefined;
  /** Every conversation. */
  conversations(): Conversation[];
  /**
   * One conversation.
   * @param conversationId The conversation's ID.
   */
  conversation(conversationId: string): Conversation | undefined;
  /**
   * The messages of one conversation, or of all of them (grouped by
   * conversation, conversations oldest first).
   * @param conversationId The conversation's ID; every conversation when absent.
   */
  messages(conversationId?: string): Message[];
  /** Every notification asked for. */
  notifications(): EmulatorNotification[];
}

/** @internal `emu.store`: fresh copies of what `store` holds. */
export function createStoreView(store: Store): EmulatorStore {
  const view = <T>(value: T): T => structuredClone(value);
  const conversations = () =>
    store.conversationIndex.ascending().map((id) =>
      store.conversations.get(id)!
    );
  return {
    users: () =>
      store.userIndex.ascending().map((id) => view(store.users.get(id)!)),
    user: (userId) => {
      const user = store.users.get(userId);
      return user ? view(user) : undefined;
    },
    conversations: () => conversations().map(store.view),
    conversation: (conversationId) => {
      const conv = store.conversations.get(conversationId);
      return conv ? store.view(conv) : undefined;
    },
    messages: (conversationId) => {
      const convs = conversationId === undefined
        ? conversations()
        : [store.conversations.get(conversationId)].filter((c) =>
          c !== undefined
        );
      return convs.flatMap((conv) =>
        conv.messages.ascending().map((id) => view(conv.messagesById.get(id)!))
      );
    },
    notifications: (): EmulatorNotification[] => view(store.notifications),
  };
}
