import type {
  CallOptions,
  ParticipantInput,
  ParticipantPatch,
} from "../types.ts";
import type { RequestFn } from "../_types.ts";
import { endpoint } from "./_endpoint.ts";

/** The `participants` resource of a {@linkcode TalkJsClient}. */
export interface ParticipantsResource {
  /** `PUT /conversations/{cid}/participants/{uid}`: joins (defaults ReadWrite, notify true). */
  put(
    conversationId: string,
    userId: string,
    input?: ParticipantInput,
    options?: CallOptions,
  ): Promise<void>;
  /** `PATCH /conversations/{cid}/participants/{uid}`: only sent fields change. */
  patch(
    conversationId: string,
    userId: string,
    input: ParticipantPatch,
    options?: CallOptions,
  ): Promise<void>;
  /** `DELETE /conversations/{cid}/participants/{uid}`: leaves. */
  delete(
    conversationId: string,
    userId: string,
    options?: CallOptions,
  ): Promise<void>;
  /**
   * `GET /conversations/{cid}/participants/{uid}/email`: the participant's
   * inbound address for this conversation; mail sent to it appears in the
   * conversation as sent by that user.
   */
  email(
    conversationId: string,
    userId: string,
    options?: CallOptions,
  ): Promise<{ emailAddress: string }>;
}

/** Creates the participants resource over a request function. */
export function createParticipantsResource(
  request: RequestFn,
): ParticipantsResource {
  const path = "conversations/:conversationId/participants/:userId";
  return {
    put: endpoint(request, "add a participant", "PUT", path, "optional"),
    patch: endpoint(request, "update a participant", "PATCH", path, true),
    delete: endpoint(request, "remove a participant", "DELETE", path),
    email: endpoint(
      request,
      "get a participant's email address",
      "GET",
      path + "/email",
      undefined,
      ["emailAddress", "string"],
    ),
  };
}
