import { badRequest } from "../_http.ts";
import type { ConversationRecord, Store } from "../_store.ts";
import { type Check, checks, show, validBody } from "../_validate.ts";
import {
  conversationOf,
  type RouteContext,
  type RouteDeps,
  type RouteTable,
} from "./_shared.ts";

const NOTIFICATION_SCHEMA: Record<string, Check> = {
  channels: (v) =>
    Array.isArray(v) && v.length > 0 &&
      v.every((c) => c === "email" || c === "sms")
      ? undefined
      : `must be a non-empty array of "email" and "sms": current value is ${
        show(v)
      }`,
  recipients: checks.idArray,
  emailSettings: checks.stringRecord,
  smsSettings: checks.stringRecord,
};

/**
 * The participants with unanswered messages, whom TalkJS notifies when no
 * recipients are given: our reading is those who have a message from
 * someone else newer than their own last one ("in a one-on-one
 * conversation, precisely 1 notification … to whoever did not write the
 * latest message").
 */
function unanswered(store: Store, conv: ConversationRecord): string[] {
  const last = store.lastMessage(conv);
  if (!last) return [];
  return Object.keys(conv.participants).filter((id) => id !== last.senderId);
}

/** @internal `POST /conversations/{cid}/notifications`, recorded in the store. */
export function notificationRoutes(
  { store, clock }: RouteDeps,
): RouteTable {
  function notify({ params, body }: RouteContext): unknown {
    const conv = conversationOf(store, params.conversationId!);
    const input = validBody(body, NOTIFICATION_SCHEMA, {
      required: ["channels"],
    });
    const recipients = input.recipients as string[] | undefined;
    const strangers = (recipients ?? []).filter((id) =>
      !Object.hasOwn(conv.participants, id)
    );
    if (strangers.length) {
      badRequest(
        "recipients",
        `must be participants of this conversation: ${
          strangers.map((s) => JSON.stringify(s)).join(", ")
        } are not`,
      );
    }
    store.notifications.push({
      conversationId: conv.id,
      channels: [...new Set(input.channels as ("email" | "sms")[])],
      recipients: [...(recipients ?? unanswered(store, conv))],
      ...(input.emailSettings === undefined
        ? {}
        : { emailSettings: { ...input.emailSettings as object } }),
      ...(input.smsSettings === undefined
        ? {}
        : { smsSettings: { ...input.smsSettings as object } }),
      createdAt: clock.now(),
    });
    return {};
  }

  return { "POST /conversations/:conversationId/notifications": notify };
}
