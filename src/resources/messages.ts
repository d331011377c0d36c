import type {
  ImportMessageInput,
  ListFn,
  Message,
  MessageInput,
  UserMessageInput,
} from "../types.ts";
import type { RequestFn } from "../_http.ts";
import { requireId, requireObject, show } from "../_validate.ts";
import { listFn } from "./_list.ts";

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
  /** The idempotency key each message was sent with, in input order (`undefined` for system messages). */
  idempotencyKeys: (string | undefined)[];
}

/** Options of {@linkcode MessagesResource.send} and {@linkcode MessagesResource.import}. */
export interface SendOptions {
  /** Aborts the remaining chunks. */
  signal?: AbortSignal;
}

/** The `messages` resource of a {@linkcode TalkJsClient}. */
export interface MessagesResource {
  /** `GET /conversations/{cid}/messages/{mid}`. */
  get(
    conversationId: string,
    messageId: string,
    options?: SendOptions,
  ): Promise<Message>;
  /** `GET /conversations/{cid}/messages`, newest first, up to 100 a page. */
  readonly list: ListFn<Message, MessageListParams>;
  /**
   * Sends one message or many, 10 per `POST /conversations/{cid}/messages`,
   * in order. Every user message without an `idempotencyKey` gets a random
   * one, so a request retried after a lost answer is stored once. To make a
   * retry of the whole call safe too, set your own keys.
   */
  send(
    conversationId: string,
    messages: MessageInput | readonly MessageInput[],
    options?: SendOptions,
  ): Promise<SendResult>;
  /**
   * Imports history, 10 per `POST /import/conversations/{cid}/messages`, in
   * order, keeping each `timestamp`. Imports are not deduplicated by TalkJS,
   * so a chunk whose answer is lost is not retried: the error says which.
   */
  import(
    conversationId: string,
    messages: ImportMessageInput | readonly ImportMessageInput[],
    options?: SendOptions,
  ): Promise<{ imported: number; requests: number }>;
  /** `PUT /conversations/{cid}/messages/{mid}`: edits text or custom fields. */
  edit(
    conversationId: string,
    messageId: string,
    input: { text?: string; custom?: Record<string, string> },
    options?: SendOptions,
  ): Promise<void>;
  /** `DELETE /conversations/{cid}/messages/{mid}`. */
  delete(
    conversationId: string,
    messageId: string,
    options?: SendOptions,
  ): Promise<void>;
}

function asList<T>(what: string, messages: T | readonly T[]): readonly T[] {
  const list = Array.isArray(messages)
    ? messages as readonly T[]
    : [messages as T];
  if (list.length === 0) {
    throw new RangeError(
      `Cannot ${what} as 'messages' must hold at least one message: it is empty`,
    );
  }
  return list;
}

function requireText(what: string, name: string, value: unknown): void {
  if (typeof value !== "string") {
    throw new TypeError(
      `Cannot ${what} as '${name}' must be a string: current value is ${
        show(value)
      }`,
    );
  }
}

function checkMessage(what: string, m: unknown, i: number): MessageInput {
  const msg = requireObject(what, `messages[${i}]`, m);
  if (msg.type === "UserMessage") {
    requireId(what, `messages[${i}].sender`, msg.sender);
    if (msg.idempotencyKey !== undefined) {
      requireId(what, `messages[${i}].idempotencyKey`, msg.idempotencyKey);
    }
  } else if (msg.type !== "SystemMessage") {
    throw new TypeError(
      `Cannot ${what} as 'messages[${i}].type' must be "UserMessage" or "SystemMessage": current value is ${
        show(msg.type)
      }`,
    );
  }
  requireText(what, `messages[${i}].text`, msg.text);
  return msg as unknown as MessageInput;
}

/** Creates the messages resource over a request function. */
export function createMessagesResource(request: RequestFn): MessagesResource {
  return {
    async get(conversationId, messageId, options = {}) {
      requireId("get a message", "conversationId", conversationId);
      requireId("get a message", "messageId", messageId);
      return await request<Message>(
        "GET",
        ["conversations", conversationId, "messages", messageId],
        { signal: options.signal },
      );
    },
    list: listFn<Message, MessageListParams>(
      request,
      "list messages",
      100,
      (p) => ({
        segments: [
          "conversations",
          requireId("list messages", "conversationId", p.conversationId),
          "messages",
        ],
      }),
    ),
    async send(conversationId, messages, options = {}) {
      const what = "send messages";
      requireId(what, "conversationId", conversationId);
      const list = asList(what, messages).map((m, i) => {
        const msg = checkMessage(what, m, i);
        if (msg.type === "UserMessage" && msg.idempotencyKey === undefined) {
          return {
            ...msg,
            idempotencyKey: crypto.randomUUID(),
          } satisfies UserMessageInput;
        }
        return msg;
      });
      let requests = 0;
      for (let i = 0; i < list.length; i += 10) {
        const chunk = list.slice(i, i + 10);
        await request("POST", ["conversations", conversationId, "messages"], {
          body: chunk,
          signal: options.signal,
          idempotent: chunk.every((m) => m.type === "UserMessage"),
        });
        requests++;
      }
      return {
        sent: list.length,
        requests,
        idempotencyKeys: list.map((m) =>
          m.type === "UserMessage" ? m.idempotencyKey : undefined
        ),
      };
    },
    async import(conversationId, messages, options = {}) {
      const what = "import messages";
      requireId(what, "conversationId", conversationId);
      const list = asList(what, messages);
      list.forEach((m, i) => {
        const msg = requireObject(what, `messages[${i}]`, m);
        if (msg.type !== "UserMessage") {
          throw new TypeError(
            `Cannot ${what} as 'messages[${i}].type' must be "UserMessage": current value is ${
              show(msg.type)
            }`,
          );
        }
        requireId(what, `messages[${i}].sender`, msg.sender);
        requireText(what, `messages[${i}].text`, msg.text);
        if (
          typeof msg.timestamp !== "number" || !Number.isFinite(msg.timestamp)
        ) {
          throw new TypeError(
            `Cannot ${what} as 'messages[${i}].timestamp' must be a finite number (ms since the epoch): current value is ${
              show(msg.timestamp)
            }`,
          );
        }
      });
      let requests = 0;
      for (let i = 0; i < list.length; i += 10) {
        await request("POST", [
          "import",
          "conversations",
          conversationId,
          "messages",
        ], {
          body: list.slice(i, i + 10),
          signal: options.signal,
        });
        requests++;
      }
      return { imported: list.length, requests };
    },
    async edit(conversationId, messageId, input, options = {}) {
      const what = "edit a message";
      requireId(what, "conversationId", conversationId);
      requireId(what, "messageId", messageId);
      requireObject(what, "input", input);
      await request("PUT", [
        "conversations",
        conversationId,
        "messages",
        messageId,
      ], {
        body: input,
        signal: options.signal,
      });
    },
    async delete(conversationId, messageId, options = {}) {
      requireId("delete a message", "conversationId", conversationId);
      requireId("delete a message", "messageId", messageId);
      await request("DELETE", [
        "conversations",
        conversationId,
        "messages",
        messageId,
      ], {
        signal: options.signal,
      });
    },
  };
}
