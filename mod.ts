/**
 * An unofficial, dependency-light client for the
 * [TalkJS REST API](https://talkjs.com/docs/Reference/REST_API/), for
 * backends and edge runtimes: Deno, Cloudflare Workers, Bun and Node 20+.
 *
 * A fresh app token per request, typed resources, retries with backoff, a
 * limiter that paces requests to TalkJS's rate limits, pagination helpers and
 * webhook verification. Not affiliated with TalkJS.
 *
 * @example Create a client and list users
 * ```ts ignore
 * import { createClient, listAll } from "@unofficial/talkjs-rest";
 *
 * const talk = createClient({
 *   appId: Deno.env.get("TALKJS_APP_ID")!,
 *   secretKey: Deno.env.get("TALKJS_SECRET_KEY")!,
 * });
 * await talk.users.put("alice", { name: "Alice" });
 * for await (const user of listAll(talk.users.list)) console.log(user.id);
 * ```
 *
 * @module
 */
export * from "./src/client.ts";
export type {
  PutManyOptions,
  PutManyProgress,
  UserConversationsParams,
  UsersResource,
} from "./src/resources/users.ts";
export type { ConversationsResource } from "./src/resources/conversations.ts";
export type { ParticipantsResource } from "./src/resources/participants.ts";
export type {
  MessageListParams,
  MessagesResource,
  SendManyOptions,
  SendOptions,
  SendProgress,
  SendResult,
} from "./src/resources/messages.ts";
export type { FilesResource, UploadOptions } from "./src/resources/files.ts";
export * from "./src/auth.ts";
export * from "./src/errors.ts";
export * from "./src/types.ts";
export * from "./src/clock.ts";
export {
  isRetryableError,
  type RetryContext,
  type RetryInfo,
  type RetryOptions,
  withRetry,
} from "./src/retry.ts";
export * from "./src/limiter.ts";
export * from "./src/memory_store.ts";
export * from "./src/paginate.ts";
export * from "./src/list_all.ts";
export * from "./src/webhooks.ts";
