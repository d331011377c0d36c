import type {
  Conversation,
  ConversationFilters,
  ConversationInput,
  ListFn,
  NotificationInput,
} from "../types.ts";
import type { RequestFn } from "../_http.ts";
import { requireId, requireObject, show } from "../_validate.ts";
import { listFn } from "./_list.ts";

/** The `conversations` resource of a {@linkcode TalkJsClient}. */
export interface ConversationsResource {
  /** `GET /conversations/{id}`. */
  get(
    conversationId: string,
    options?: { signal?: AbortSignal },
  ): Promise<Conversation>;
  /** `PUT /conversations/{id}`: creates or updates; participants are added, never removed. */
  put(
    conversationId: string,
    input: ConversationInput,
    options?: { signal?: AbortSignal },
  ): Promise<void>;
  /** `DELETE /conversations/{id}`, with its messages. */
  delete(
    conversationId: string,
    options?: { signal?: AbortSignal },
  ): Promise<void>;
  /** `GET /conversations`, newest first, up to 30 a page. */
  readonly list: ListFn<Conversation, ConversationFilters>;
  /** `POST /conversations/{id}/notifications`: email or SMS notifications now. */
  notify(
    conversationId: string,
    input: NotificationInput,
    options?: { signal?: AbortSignal },
  ): Promise<void>;
}

/** Creates the conversations resource over a request function. */
export function createConversationsResource(
  request: RequestFn,
): ConversationsResource {
  return {
    async get(conversationId, options = {}) {
      requireId("get a conversation", "conversationId", conversationId);
      return await request<Conversation>("GET", [
        "conversations",
        conversationId,
      ], {
        signal: options.signal,
      });
    },
    async put(conversationId, input, options = {}) {
      const what = "put a conversation";
      requireId(what, "conversationId", conversationId);
      requireObject(what, "input", input);
      if (input.participants !== undefined) {
        if (!Array.isArray(input.participants)) {
          throw new TypeError(
            `Cannot ${what} as 'input.participants' must be an array of user IDs: current value is ${
              show(input.participants)
            }`,
          );
        }
        input.participants.forEach((id, i) =>
          requireId(what, `input.participants[${i}]`, id)
        );
      }
      await request("PUT", ["conversations", conversationId], {
        body: input,
        signal: options.signal,
      });
    },
    async delete(conversationId, options = {}) {
      requireId("delete a conversation", "conversationId", conversationId);
      await request("DELETE", ["conversations", conversationId], {
        signal: options.signal,
      });
    },
    list: listFn<Conversation, ConversationFilters>(
      request,
      "list conversations",
      30,
      (p) => ({
        segments: ["conversations"],
        query: {
          lastMessageBefore: p.lastMessageBefore,
          lastMessageAfter: p.lastMessageAfter,
          orderBy: p.orderBy,
          orderDirection: p.orderDirection,
        },
      }),
    ),
    async notify(conversationId, input, options = {}) {
      const what = "notify a conversation";
      requireId(what, "conversationId", conversationId);
      requireObject(what, "input", input);
      if (
        !Array.isArray(input.channels) || input.channels.length === 0 ||
        input.channels.some((c) => c !== "email" && c !== "sms")
      ) {
        throw new TypeError(
          `Cannot ${what} as 'input.channels' must be a non-empty array of "email" and "sms": current value is ${
            show(input.channels)
          }`,
        );
      }
      await request(
        "POST",
        ["conversations", conversationId, "notifications"],
        {
          body: input,
          signal: options.signal,
        },
      );
    },
  };
}
