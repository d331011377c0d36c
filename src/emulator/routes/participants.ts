import { notFound } from "../_http.ts";
import type { StoredParticipation } from "../_store.ts";
import { type Check, checks, validBody } from "../_validate.ts";
import {
  conversationOf,
  type RouteContext,
  type RouteDeps,
  type RouteTable,
} from "./_shared.ts";

const PUT_SCHEMA: Record<string, Check> = {
  access: checks.access,
  notify: checks.notify,
};

const PATCH_SCHEMA: Record<string, Check> = {
  access: checks.accessOrNone,
  notify: checks.notify,
};

function participantInput(
  body: unknown,
  schema: Record<string, Check>,
): Partial<StoredParticipation> {
  return validBody(body, schema, { optional: true });
}

/**
 * The participant's inbound address, in the emulator's own form (TalkJS's
 * is not documented): 20 hex digits of SHA-256 over the app, conversation
 * and user IDs, at `reply.talkjs.invalid` (a domain that never receives
 * mail). The same participant always gets the same address.
 */
async function emailAddress(
  appId: string,
  conversationId: string,
  userId: string,
): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(JSON.stringify([appId, conversationId, userId])),
  );
  const hex = Array.from(
    new Uint8Array(digest, 0, 10),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return `${hex}@reply.talkjs.invalid`;
}

function notParticipant(userId: string | undefined): never {
  notFound("userId", `${JSON.stringify(userId)} is not a participant`);
}

/** @internal A participant's PUT, PATCH and DELETE, and their email address. */
export function participantRoutes(
  { store, appId }: RouteDeps & { appId: string },
): RouteTable {
  const path = "/conversations/:conversationId/participants/:userId";

  function putParticipant({ params, body }: RouteContext): unknown {
    const conv = conversationOf(store, params.conversationId!);
    const input = participantInput(body, PUT_SCHEMA);
    store.setParticipant(conv, params.userId!, {
      access: input.access ?? "ReadWrite",
      notify: input.notify ?? true,
    });
    return {};
  }

  function patchParticipant({ params, body }: RouteContext): unknown {
    const conv = conversationOf(store, params.conversationId!);
    const input = participantInput(body, PATCH_SCHEMA);
    const current = conv.participants[params.userId!] ??
      notParticipant(params.userId);
    store.setParticipant(conv, params.userId!, {
      access: input.access ?? current.access,
      notify: input.notify ?? current.notify,
    });
    return {};
  }

  function deleteParticipant({ params }: RouteContext): unknown {
    // "All calls on this page are idempotent" (TalkJS's participation
    // reference): removing someone who is not a participant is no error.
    store.removeParticipant(
      conversationOf(store, params.conversationId!),
      params.userId!,
    );
    return {};
  }

  async function participantEmail({ params }: RouteContext): Promise<unknown> {
    const conv = conversationOf(store, params.conversationId!);
    const userId = params.userId!;
    if (!Object.hasOwn(conv.participants, userId)) notParticipant(userId);
    return { emailAddress: await emailAddress(appId, conv.id, userId) };
  }

  return {
    [`PUT ${path}`]: putParticipant,
    [`PATCH ${path}`]: patchParticipant,
    [`DELETE ${path}`]: deleteParticipant,
    [`GET ${path}/email`]: participantEmail,
  };
}
