import type {
  CallOptions,
  ChunkProgress,
  ImportMessageInput,
  ListFn,
  Message,
  MessageEditInput,
  MessageInput,
} from "../types.ts";
import type { Expect, RequestFn } from "../_types.ts";
import { fail, requireId, requireObject } from "../_validate.ts";
import { endpoint, listFn } from "./_endpoint.ts";
import { checkChunkOptions, type ChunkLists, inChunks } from "./_chunks.ts";

/** Extra parameters of {@linkcode MessagesResource.list}. */
export interface MessageListParams {
  /** The conversation whose messages to list. */
  conversationId: string;
}

/** What {@linkcode MessagesResource.send} answers. */
export interface SendResult {
  /** Messages stored (or recognised as already stored by their idempotency key). */
  sent: number;
  /** Requests made, one per chunk of up to 10. */
  requests: number;
  /**
   * The ID TalkJS answered for each message, in input order (for a message
   * whose idempotency key TalkJS had seen, the ID stored then).
   */
  ids: string[];
  /** The idempotency key each message was sent with, in input order (`undefined` for system messages). */
  idempotencyKeys: (string | undefined)[];
}

/**
 * Options of a single call of {@linkcode MessagesResource}.
 *
 * @deprecated Use {@linkcode CallOptions}, its new name.
 */
export type SendOptions = CallOptions;

/**
 * Progress of {@linkcode MessagesResource.send} and {@linkcode MessagesResource.import}, after each chunk.
 *
 * @deprecated Use {@linkcode ChunkProgress}, its new name.
 */
export type SendProgress = ChunkProgress;

/**
 * Options of {@linkcode MessagesResource.send} and {@linkcode MessagesResource.import}.
 */
export interface SendManyOptions extends CallOptions {
  /**
   * Called after each stored chunk: after an abort or a failure, the last
   * call says how many messages were stored.
   */
  onProgress?: (progress: ChunkProgress) => void;
}

/** The `messages` resource of a {@linkcode TalkJsClient}. */
export interface MessagesResource {
  /** `GET /conversations/{cid}/messages/{mid}`. */
  get(
    conversationId: string,
    messageId: string,
    options?: CallOptions,
  ): Promise<Message>;
  /** `GET /conversations/{cid}/messages`, newest first, up to 100 a page. */
  readonly list: ListFn<Message, MessageListParams>;
  /**
   * Sends one message or many, 10 per `POST /conversations/{cid}/messages`,
   * in order. Every user message without an `idempotencyKey` gets a random
   * one, so a request retried after a lost answer is stored once. To make a
   * retry of the whole call safe too, set your own keys. Two messages of one
   * call may not share a key (TalkJS would keep only one): a RangeError.
   */
  send(
    conversationId: string,
    messages: MessageInput | readonly MessageInput[],
    options?: SendManyOptions,
  ): Promise<SendResult>;
  /**
   * Imports history, 10 per `POST /import/conversations/{cid}/messages`, in
   * order, keeping each `timestamp`. Imports are not deduplicated by TalkJS,
   * so a chunk whose answer is lost is not retried: the error says which.
   *
   * @example Report an import's progress
   * ```ts
   * import { createClient } from "@unofficial/talkjs-rest";
   * import { createEmulator } from "@unofficial/talkjs-rest/testing";
   *
   * const emu = createEmulator();
   * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
   * await talk.users.put("alice", { name: "Alice" });
   * await talk.conversations.put("c1", { participants: ["alice"] });
   * const history = Array.from({ length: 25 }, (_, i) => ({
   *   type: "UserMessage" as const, sender: "alice", text: `m${i}`, timestamp: 1_600_000_000_000 + i,
   * }));
   * await talk.messages.import("c1", history, {
   *   onProgress: ({ done, total }) => console.log(`${done}/${total}`), // 10/25, 20/25, 25/25
   * });
   * ```
   */
  import(
    conversationId: string,
    messages: ImportMessageInput | readonly ImportMessageInput[],
    options?: SendManyOptions,
  ): Promise<{ imported: number; requests: number }>;
  /** `PUT /conversations/{cid}/messages/{mid}`: edits text or custom fields. */
  edit(
    conversationId: string,
    messageId: string,
    input: MessageEditInput,
    options?: CallOptions,
  ): Promise<void>;
  /** `DELETE /conversations/{cid}/messages/{mid}`. */
  delete(
    conversationId: string,
    messageId: string,
    options?: CallOptions,
  ): Promise<void>;
}

/**
 * Checks the messages of a send (user or system messages with `text`, an
 * `attachmentToken` or both; an `idempotencyKey`, when given, non-empty) or of
 * an import (user messages with `text` and a `timestamp`).
 */
function checkMessages(
  what: string,
  messages: unknown,
  imported: boolean,
): Record<string, unknown>[] {
  const list: unknown[] = Array.isArray(messages) ? messages : [messages];
  if (!list.length) {
    throw new RangeError(
      `Cannot ${what} as 'messages' must hold at least one message: it is empty`,
    );
  }
  // TalkJS keeps one message per key: a second message with the same key
  // would be dropped without a word.
  const keys = new Map<string, number>();
  return list.map((m, i) => {
    const name = `messages[${i}]`;
    const msg = requireObject(what, name, m);
    const { type, idempotencyKey, text, timestamp, attachmentToken } = msg;
    if (type === "UserMessage") {
      requireId(what, name + ".sender", msg.sender);
      if (!imported && idempotencyKey !== undefined) {
        const key = requireId(what, name + ".idempotencyKey", idempotencyKey);
        const first = keys.get(key);
        if (first !== undefined) {
          fail(
            what,
            name + ".idempotencyKey",
            `unique in one call (messages[${first}] has the same key)`,
            key,
            RangeError,
          );
        }
        keys.set(key, i);
      }
    } else if (imported || type !== "SystemMessage") {
      fail(
        what,
        name + ".type",
        imported ? `"UserMessage"` : `"UserMessage" or "SystemMessage"`,
        type,
      );
    }
    if (attachmentToken !== undefined) {
      requireId(what, name + ".attachmentToken", attachmentToken);
    }
    // An import needs its text (TalkJS: "All fields are required").
    if (
      typeof text !== "string" &&
      (imported || text !== undefined || attachmentToken === undefined)
    ) {
      fail(
        what,
        name + ".text",
        imported ? "a string" : "a string (or give an attachmentToken)",
        text,
      );
    }
    if (imported && (typeof timestamp !== "number" || !isFinite(timestamp))) {
      fail(
        what,
        name + ".timestamp",
        "a finite number (ms since the epoch)",
        timestamp,
      );
    }
    return msg;
  });
}

/**
 * The IDs of a send's answer: TalkJS answers `[{ id }, …]`, one per message
 * sent, in order. Anything else is an unexpected answer (the messages were
 * stored: resending with the same idempotency keys stores nothing twice).
 */
function idsOf(answer: unknown): unknown[] {
  return Array.isArray(answer)
    ? answer.map((item) => (item as { id?: unknown } | null)?.id)
    : [];
}

/** Expects one `{ id }` per message of a chunk of `count`. */
function oneIdEach(count: number): Expect {
  return (answer) => {
    const ids = idsOf(answer);
    return ids.length !== count || ids.some((id) => typeof id !== "string")
      ? `one { id } per message sent (${count})`
      : undefined;
  };
}

/**
 * Posts `list` to `segments` in chunks of 10, in order; answers the number
 * of requests. With `ids` (a send), each chunk's answer must hold one
 * `{ id }` per message, added to `ids`; a failed chunk's error carries
 * `ids` and `idempotencyKeys`.
 */
function post(
  request: RequestFn,
  segments: string[],
  list: Record<string, unknown>[],
  { signal, onProgress }: SendManyOptions,
  lists: ChunkLists = {},
): Promise<number> {
  const { ids } = lists;
  return inChunks(list, 10, "messages", async (chunk) => {
    const answer = await request("POST", segments, {
      body: chunk,
      signal,
      // A send whose messages all carry idempotency keys may safely run twice.
      idempotent: !!ids && chunk.every((m) => m.type === "UserMessage"),
    }, ids && oneIdEach(chunk.length));
    ids?.push(...idsOf(answer));
  }, { onProgress, lists });
}

/** Creates the messages resource over a request function. */
export function createMessagesResource(request: RequestFn): MessagesResource {
  const path = "conversations/:conversationId/messages";
  return {
    get: endpoint(request, "get a message", "GET", path + "/:messageId"),
    list: listFn(request, "list messages", 100, path),
    async send(conversationId, messages, options) {
      const what = "send messages";
      requireId(what, "conversationId", conversationId);
      const checked = checkChunkOptions(what, options);
      const list = checkMessages(what, messages, false).map((msg) =>
        msg.type === "UserMessage" && msg.idempotencyKey === undefined
          ? { ...msg, idempotencyKey: crypto.randomUUID() }
          : msg
      );
      const idempotencyKeys = list.map((m) =>
        m.type === "UserMessage" ? m.idempotencyKey as string : undefined
      );
      const ids: string[] = [];
      // Resending from failedAt with these keys stores nothing twice.
      const requests = await post(
        request,
        ["conversations", conversationId, "messages"],
        list,
        checked,
        { ids, idempotencyKeys },
      );
      return { sent: list.length, requests, ids, idempotencyKeys };
    },
    async import(conversationId, messages, options) {
      const what = "import messages";
      requireId(what, "conversationId", conversationId);
      const checked = checkChunkOptions(what, options);
      // TalkJS requires readBy on every imported message ("All fields are
      // required"); left out, it is sent as read by no one.
      const list = checkMessages(what, messages, true).map((msg) =>
        msg.readBy === undefined ? { ...msg, readBy: [] } : msg
      );
      return {
        imported: list.length,
        requests: await post(
          request,
          ["import", "conversations", conversationId, "messages"],
          list,
          checked,
        ),
      };
    },
    edit: endpoint(
      request,
      "edit a message",
      "PUT",
      path + "/:messageId",
      true,
    ),
    delete: endpoint(
      request,
      "delete a message",
      "DELETE",
      path + "/:messageId",
    ),
  };
}
