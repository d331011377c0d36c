import type { PresenceSession } from "../types.ts";
import { fail, requireId, requireObject } from "../_validate.ts";
import type { StoredPresence } from "./_store.ts";

/**
 * The sessions of one online user, as {@linkcode EmulatorPresence.set}
 * takes them. A session's fields left out take their defaults:
 * `selectedConversationId: null`, `custom: {}`, `hasFocus: false`,
 * `isTyping: false` and a generated `sessionId`.
 */
export interface EmulatorSessions {
  /** Visible chat UIs (an inbox, a chatbox or a popup). */
  widgets?: Partial<PresenceSession>[];
  /** Background sessions (TalkJS keeps one per page with a TalkJS session). */
  backgroundSessions?: Partial<PresenceSession>[];
}

/**
 * Who is online in an emulator (`emu.presence`), for `POST /presences`. Nobody
 * is, until a test says so: in TalkJS, sessions come from users' browsers,
 * which an emulator has none of.
 *
 * @example Put a user online, typing in a conversation
 * ```ts
 * import { createClient } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
 * emu.presence.set("alice", { widgets: [{ selectedConversationId: "c1", hasFocus: true, isTyping: true }] });
 * const { data } = await talk.users.presences({ isTyping: true });
 * console.log(Object.keys(data), data["alice"]?.widgets[0]?.selectedConversationId); // [ "alice" ] c1
 * ```
 */
export interface EmulatorPresence {
  /**
   * Replaces a user's sessions; a user with none is offline.
   * @param userId The user's ID.
   * @param sessions The user's widgets and background sessions.
   */
  set(userId: string, sessions: EmulatorSessions): void;
}

const FIELDS: Record<string, (v: unknown) => boolean> = {
  selectedConversationId: (v) => v === null || typeof v === "string",
  custom: (v) =>
    typeof v === "object" && v !== null && !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === "string"),
  hasFocus: (v) => typeof v === "boolean",
  isTyping: (v) => typeof v === "boolean",
  sessionId: (v) => typeof v === "string" && v !== "",
};
const RULES: Record<string, string> = {
  selectedConversationId: "a string or null",
  custom: "an object of string values",
  hasFocus: "true or false",
  isTyping: "true or false",
  sessionId: "a non-empty string",
};

function sessionsOf(
  what: string,
  name: string,
  list: unknown,
  newId: () => string,
): PresenceSession[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) fail(what, name, "an array of sessions", list);
  return list.map((item, i) => {
    const at = `${name}[${i}]`;
    const input = requireObject(what, at, item);
    for (const [field, value] of Object.entries(input)) {
      const ok = FIELDS[field];
      if (!ok) {
        fail(
          what,
          `${at}.${field}`,
          "a known field (" + Object.keys(FIELDS).join(", ") + ")",
          value,
        );
      }
      if (!ok(value)) fail(what, `${at}.${field}`, RULES[field]!, value);
    }
    return {
      selectedConversationId: null,
      custom: {},
      hasFocus: false,
      isTyping: false,
      sessionId: newId(),
      ...structuredClone(input),
    } as PresenceSession;
  });
}

/**
 * @internal Who is online, over the store's `presences`: `set` checks and
 * stores sessions, `reset` restarts the generated session IDs.
 */
export function createPresence(
  presences: Map<string, StoredPresence>,
): { presence: EmulatorPresence; reset(): void } {
  let count = 0;
  const newId = () => `session-${++count}`;
  const presence: EmulatorPresence = {
    set(userId, sessions) {
      const what = "set a presence";
      requireId(what, "userId", userId);
      const input = requireObject(what, "sessions", sessions);
      for (const key of Object.keys(input)) {
        if (key !== "widgets" && key !== "backgroundSessions") {
          fail(
            what,
            `sessions.${key}`,
            "a known field (widgets, backgroundSessions)",
            input[key],
          );
        }
      }
      const stored: StoredPresence = {
        widgets: sessionsOf(what, "sessions.widgets", input.widgets, newId),
        backgroundSessions: sessionsOf(
          what,
          "sessions.backgroundSessions",
          input.backgroundSessions,
          newId,
        ),
      };
      if (stored.widgets.length || stored.backgroundSessions.length) {
        presences.set(userId, stored);
      } else presences.delete(userId);
    },
  };
  return {
    presence,
    reset() {
      count = 0;
    },
  };
}
