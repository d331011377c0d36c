import type { ParticipantInput, ParticipantPatch } from "../types.ts";
import type { RequestFn } from "../_http.ts";
import { requireId, requireObject } from "../_validate.ts";

/** The `participants` resource of a {@linkcode TalkJsClient}. */
export interface ParticipantsResource {
  /** `PUT /conversations/{cid}/participants/{uid}`: joins (defaults ReadWrite, notify true). */
  put(
    conversationId: string,
    userId: string,
    input?: ParticipantInput,
    options?: { signal?: AbortSignal },
  ): Promise<void>;
  /** `PATCH /conversations/{cid}/participants/{uid}`: only sent fields change. */
  patch(
    conversationId: string,
    userId: string,
    input: ParticipantPatch,
    options?: { signal?: AbortSignal },
  ): Promise<void>;
  /** `DELETE /conversations/{cid}/participants/{uid}`: leaves. */
  delete(
    conversationId: string,
    userId: string,
    options?: { signal?: AbortSignal },
  ): Promise<void>;
}

/** Creates the participants resource over a request function. */
export function createParticipantsResource(
  request: RequestFn,
): ParticipantsResource {
  const path = (what: string, cid: unknown, uid: unknown) => [
    "conversations",
    requireId(what, "conversationId", cid),
    "participants",
    requireId(what, "userId", uid),
  ];
  return {
    async put(conversationId, userId, input = {}, options = {}) {
      const segments = path("add a participant", conversationId, userId);
      requireObject("add a participant", "input", input);
      await request("PUT", segments, { body: input, signal: options.signal });
    },
    async patch(conversationId, userId, input, options = {}) {
      const segments = path("update a participant", conversationId, userId);
      requireObject("update a participant", "input", input);
      await request("PATCH", segments, { body: input, signal: options.signal });
    },
    async delete(conversationId, userId, options = {}) {
      const segments = path("remove a participant", conversationId, userId);
      await request("DELETE", segments, { signal: options.signal });
    },
  };
}
