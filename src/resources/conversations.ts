import type {
  CallOptions,
  Conversation,
  ConversationFilters,
  ConversationInput,
  ListFn,
  NotificationInput,
} from "../types.ts";
import type { RequestFn } from "../_types.ts";
import { fail, requireId } from "../_validate.ts";
import { CONVERSATION_FILTERS, endpoint, listFn } from "./_endpoint.ts";

/** The `conversations` resource of a {@linkcode TalkJsClient}. */
export interface ConversationsResource {
  /** `GET /conversations/{id}`. */
  get(
    conversationId: string,
    options?: CallOptions,
  ): Promise<Conversation>;
  /** `PUT /conversations/{id}`: creates or updates; participants are added, never removed. */
  put(
    conversationId: string,
    input: ConversationInput,
    options?: CallOptions,
  ): Promise<void>;
  /** `DELETE /conversations/{id}`, with its messages. */
  delete(
    conversationId: string,
    options?: CallOptions,
  ): Promise<void>;
  /** `GET /conversations`, by last activity (API version 2021-02-09 on), up to 100 a page. */
  readonly list: ListFn<Conversation, ConversationFilters>;
  /** `POST /conversations/{id}/notifications`: email or SMS notifications now. */
  notify(
    conversationId: string,
    input: NotificationInput,
    options?: CallOptions,
  ): Promise<void>;
}

/** Creates the conversations resource over a request function. */
export function createConversationsResource(
  request: RequestFn,
): ConversationsResource {
  const id = "conversations/:conversationId";
  return {
    get: endpoint(request, "get a conversation", "GET", id),
    put: endpoint(
      request,
      "put a conversation",
      "PUT",
      id,
      ({ participants }) => {
        const what = "put a conversation";
        if (participants === undefined) return;
        if (!Array.isArray(participants)) {
          fail(
            what,
            "input.participants",
            "an array of user IDs",
            participants,
          );
        }
        participants.forEach((userId, i) =>
          requireId(what, `input.participants[${i}]`, userId)
        );
      },
    ),
    delete: endpoint(request, "delete a conversation", "DELETE", id),
    list: listFn(
      request,
      "list conversations",
      100,
      "conversations",
      CONVERSATION_FILTERS,
    ),
    notify: endpoint(
      request,
      "notify a conversation",
      "POST",
      id + "/notifications",
      ({ channels }) => {
        if (
          !Array.isArray(channels) || !channels.length ||
          channels.some((c) => c !== "email" && c !== "sms")
        ) {
          fail(
            "notify a conversation",
            "input.channels",
            `a non-empty array of "email" and "sms"`,
            channels,
          );
        }
      },
    ),
  };
}
