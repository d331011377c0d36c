import type { Conversation } from "../../types.ts";
import { badRequest } from "../_http.ts";
import type { ConversationRecord, Store } from "../_store.ts";
import {
  assertValid,
  type Check,
  checks,
  mergeCustom,
  problems,
  requireBodyObject,
  show,
} from "../_validate.ts";
import { since, VERSION } from "../_versions.ts";
import {
  conversationOf,
  pageIds,
  parseChoice,
  parseNumber,
  parsePage,
  type RouteContext,
  type RouteDeps,
  type RouteTable,
  unknownCursor,
  unknownUser,
} from "./_shared.ts";

const CONVERSATION_SCHEMA: Record<string, Check> = {
  id: checks.nonEmptyString,
  participants: checks.idArray,
  subject: checks.nullableString,
  photoUrl: checks.nullableString,
  welcomeMessages: checks.nullableStringArray,
  custom: checks.nullableCustomPatch,
};

type OrderBy = "createdAt" | "lastActivity";

/** How a conversation list is ordered, and where it starts. */
interface ListOrder {
  by: OrderBy;
  direction: "DESC" | "ASC";
  offsetTs: number | undefined;
}

/**
 * How a conversation list is ordered under `version`: TalkJS's changelog
 * makes last activity the default from 2021-02-09, and before it "the
 * order is createdAt DESC and cannot be changed".
 */
function listOrder(query: URLSearchParams, version: string): ListOrder {
  if (!since(version, VERSION.ORDER)) {
    for (const name of ["orderBy", "orderDirection", "offsetTs"]) {
      if (query.has(name)) {
        badRequest(
          name,
          `is taken from API version ${VERSION.ORDER} on (before it, TalkJS lists by createdAt DESC and the order cannot be changed): this request's version is ${version}`,
        );
      }
    }
    return { by: "createdAt", direction: "DESC", offsetTs: undefined };
  }
  return {
    by: parseChoice(query, "orderBy", ["lastActivity", "createdAt"]) ??
      "lastActivity",
    direction: parseChoice(query, "orderDirection", ["DESC", "ASC"]) ??
      "DESC",
    offsetTs: parseNumber(query, "offsetTs"),
  };
}

/**
 * Where a conversation sorts: its creation, or its last activity (its
 * newest message, if newer), with the insertion order of that event to
 * break ties within a millisecond.
 */
function orderKey(
  store: Store,
  conv: ConversationRecord,
  by: OrderBy,
): { key: number; seq: number } {
  const last = by === "lastActivity" ? store.lastMessage(conv) : null;
  return last && last.createdAt >= conv.createdAt
    ? { key: last.createdAt, seq: conv.messages.newestSeq()! }
    : { key: conv.createdAt, seq: conv.seq };
}

/** The `lastMessageBefore`/`lastMessageAfter` filter, and `extra`'s. */
function listFilter(
  store: Store,
  query: URLSearchParams,
  extra: ((conv: ConversationRecord) => boolean) | undefined,
): (conv: ConversationRecord) => boolean {
  const before = parseNumber(query, "lastMessageBefore");
  const later = parseNumber(query, "lastMessageAfter");
  return (conv) => {
    if (before !== undefined || later !== undefined) {
      const last = store.lastMessage(conv);
      if (!last) return false;
      if (before !== undefined && !(last.createdAt < before)) return false;
      if (later !== undefined && !(last.createdAt > later)) return false;
    }
    return !extra || extra(conv);
  };
}

/** Sorts `scope` by `order`, then pages it from the `after` cursor. */
function sortedPage(
  store: Store,
  scope: ConversationRecord[],
  order: ListOrder,
  page: { limit: number; after: string | undefined },
  filter: (conv: ConversationRecord) => boolean,
): Conversation[] {
  const { by, direction, offsetTs } = order;
  let records = scope
    .map((conv) => ({ conv, ...orderKey(store, conv, by) }))
    .sort((a, b) => a.key - b.key || a.seq - b.seq);
  if (direction === "DESC") records.reverse();
  if (offsetTs !== undefined) {
    // Our reading of the changelog's "offsetTs for pagination": the
    // records past that value of the sort key, in the list's direction.
    records = records.filter((r) =>
      direction === "DESC" ? r.key < offsetTs : r.key > offsetTs
    );
  }
  let start = 0;
  if (page.after !== undefined) {
    const i = records.findIndex((r) => r.conv.id === page.after);
    if (i < 0) unknownCursor(page.after);
    start = i + 1;
  }
  const data: Conversation[] = [];
  for (let i = start; i < records.length && data.length < page.limit; i++) {
    const conv = records[i]!.conv;
    if (filter(conv)) data.push(store.view(conv));
  }
  return data;
}

/**
 * One page of conversations. `scope` is every candidate (a user's), or
 * undefined for the whole app, which the default order pages through the
 * sorted index without sorting.
 */
function pageConversations(
  store: Store,
  { query, version }: RouteContext,
  scope: ConversationRecord[] | undefined,
  extra?: (conv: ConversationRecord) => boolean,
): { data: Conversation[] } {
  const page = parsePage(query);
  const filter = listFilter(store, query, extra);
  const order = listOrder(query, version);
  if (
    !scope && order.by === "createdAt" && order.direction === "DESC" &&
    order.offsetTs === undefined
  ) {
    const ids = pageIds(
      store.conversationIndex,
      page,
      (id) => filter(store.conversations.get(id)!),
    );
    return { data: ids.map((id) => store.view(store.conversations.get(id)!)) };
  }
  const all = scope ?? [...store.conversations.values()];
  return { data: sortedPage(store, all, order, page, filter) };
}

/** Copies the checked fields of a conversation's PUT onto it. */
function applyConversation(
  store: Store,
  conv: ConversationRecord,
  input: Record<string, unknown>,
): void {
  if (input.subject !== undefined) {
    conv.subject = input.subject as string | null;
  }
  if (input.photoUrl !== undefined) {
    conv.photoUrl = input.photoUrl as string | null;
  }
  if (input.welcomeMessages !== undefined) {
    conv.welcomeMessages = structuredClone(
      input.welcomeMessages as string[] | null,
    );
  }
  if (input.custom !== undefined) {
    conv.custom = mergeCustom(
      conv.custom,
      input.custom as Record<string, unknown> | null,
    );
  }
  for (const userId of (input.participants as string[] | undefined) ?? []) {
    if (!Object.hasOwn(conv.participants, userId)) {
      store.setParticipant(conv, userId, { access: "ReadWrite", notify: true });
    }
  }
}

/** @internal Conversation lists (the app's, a user's) and one conversation's PUT, GET and DELETE. */
export function conversationRoutes(
  { store, clock, webhooks }: RouteDeps,
): RouteTable {
  function listUserConversations(ctx: RouteContext): unknown {
    const { params, query, version } = ctx;
    const userId = params.userId!;
    // A user that does not exist, even one whose ID is a participant
    // somewhere: 404 from 2024-01-01, before it an empty list (TalkJS's
    // changelog), its parameters checked as any user's.
    const known = store.users.has(userId);
    if (!known && since(version, VERSION.UNKNOWN_USER_404)) {
      unknownUser(userId);
    }
    const ids = new Set(known ? store.userConversations.get(userId) : []);
    // Before 2021-07-30, a conversation a user left stays in their list.
    if (known && !since(version, VERSION.LEAVE)) {
      for (const id of store.userLeft.get(userId) ?? []) ids.add(id);
    }
    const raw = query.get("unreadsOnly");
    if (raw !== null && raw !== "true" && raw !== "false") {
      badRequest(
        "unreadsOnly",
        `must be true or false: current value is ${raw}`,
      );
    }
    const scope = [...ids].map((id) => store.conversations.get(id)!);
    return pageConversations(
      store,
      ctx,
      scope,
      raw === "true" ? (conv) => store.isUnread(conv, userId) : undefined,
    );
  }

  function putConversation({ params, body }: RouteContext): unknown {
    const input = requireBodyObject(body);
    const id = params.conversationId!;
    const found = problems(input, CONVERSATION_SCHEMA);
    if (input.id !== undefined && input.id !== id) {
      found.push([
        "id",
        `must be the conversation ID of the path (${show(id)})`,
      ]);
    }
    assertValid(found);
    const conv = store.conversations.get(id) ??
      store.createConversation(id, clock.now());
    applyConversation(store, conv, input);
    return {};
  }

  function deleteConversation({ params }: RouteContext): unknown {
    const conv = conversationOf(store, params.conversationId!);
    webhooks?.conversationDeleted(conv);
    store.deleteConversation(conv.id);
    return {};
  }

  return {
    "GET /users/:userId/conversations": listUserConversations,
    "GET /conversations": (ctx) => pageConversations(store, ctx, undefined),
    "PUT /conversations/:conversationId": putConversation,
    "GET /conversations/:conversationId": ({ params }) =>
      store.view(conversationOf(store, params.conversationId!)),
    "DELETE /conversations/:conversationId": deleteConversation,
  };
}
