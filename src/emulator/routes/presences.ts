import type { Presence, PresenceFilters } from "../../types.ts";
import type { StoredPresence } from "../_store.ts";
import { type Check, checks, validBody } from "../_validate.ts";
import type { RouteContext, RouteDeps, RouteTable } from "./_shared.ts";

const PRESENCE_SCHEMA: Record<string, Check> = {
  includeBackgroundSessions: checks.boolean,
  selectedConversationId: checks.nullableString,
  hasFocus: checks.boolean,
  isTyping: checks.boolean,
  userIds: checks.idArray,
};

/** A user's presence under `filters`, or undefined when no session matches. */
function presenceOf(
  presence: StoredPresence,
  filters: PresenceFilters,
): Presence | undefined {
  const {
    includeBackgroundSessions = false,
    selectedConversationId,
    hasFocus,
    isTyping,
  } = filters;
  const sessions = includeBackgroundSessions
    ? [...presence.widgets, ...presence.backgroundSessions]
    : presence.widgets;
  const online = sessions.some((s) =>
    (selectedConversationId === undefined ||
      s.selectedConversationId === selectedConversationId) &&
    (hasFocus === undefined || s.hasFocus === hasFocus) &&
    (isTyping === undefined || s.isTyping === isTyping)
  );
  if (!online) return undefined;
  return {
    status: "online",
    backgroundSessions: includeBackgroundSessions
      ? structuredClone(presence.backgroundSessions)
      : [],
    widgets: structuredClone(presence.widgets),
  };
}

/** @internal `POST /presences`. */
export function presenceRoutes({ store }: RouteDeps): RouteTable {
  /**
   * The users online, as TalkJS's User Presence page describes the filters:
   * a user is listed when one of their sessions (widgets; background
   * sessions too with `includeBackgroundSessions`) matches every filter
   * given. Nobody is online until a test sets sessions (`emu.presence.set`).
   */
  function presences({ body }: RouteContext): unknown {
    const filters: PresenceFilters = validBody(body, PRESENCE_SCHEMA, {
      optional: true,
    });
    const { userIds } = filters;
    const data: Record<string, Presence> = {};
    for (const [userId, presence] of store.presences) {
      if (userIds && !userIds.includes(userId)) continue;
      const found = presenceOf(presence, filters);
      if (found) data[userId] = found;
    }
    return { data };
  }

  return { "POST /presences": presences };
}
