import type { Message } from "../../types.ts";
import type { ConversationRecord, Store } from "../_store.ts";
import {
  assertValid,
  type Check,
  checks,
  isObject,
  mergeCustom,
  problems,
  requireBodyArray,
  show,
  validBody,
} from "../_validate.ts";
import {
  conversationOf,
  messageOf,
  pageIds,
  parsePage,
  type RouteContext,
  type RouteDeps,
  type RouteTable,
} from "./_shared.ts";

const USER_MESSAGE_SCHEMA: Record<string, Check> = {
  type: checks.oneOf(["UserMessage"]),
  sender: checks.nonEmptyString,
  text: checks.string,
  custom: checks.custom,
  referencedMessageId: checks.nonEmptyString,
  idempotencyKey: checks.nonEmptyString,
  attachmentToken: checks.nonEmptyString,
};

const SYSTEM_MESSAGE_SCHEMA: Record<string, Check> = {
  type: checks.oneOf(["SystemMessage"]),
  text: checks.string,
  custom: checks.custom,
  attachmentToken: checks.nonEmptyString,
};

const IMPORT_MESSAGE_SCHEMA: Record<string, Check> = {
  type: checks.oneOf(["UserMessage"]),
  sender: checks.nonEmptyString,
  text: checks.string,
  timestamp: checks.timestamp,
  readBy: checks.stringArray,
  custom: checks.custom,
  attachmentToken: checks.nonEmptyString,
};

const EDIT_SCHEMA: Record<string, Check> = {
  text: checks.string,
  // TalkJS's anonymise example edits with `custom: null`.
  custom: checks.nullableCustomPatch,
};

/** The fields an item's own schema finds wrong (before any cross-check). */
function ownProblems(
  item: Record<string, unknown>,
  imported: boolean,
): [string, string][] {
  if (imported) {
    // "All fields are required" (TalkJS's import reference), readBy too.
    const required = ["type", "sender", "text", "timestamp", "readBy"];
    return problems(item, IMPORT_MESSAGE_SCHEMA, required);
  }
  const system = item.type === "SystemMessage";
  const own = problems(
    item,
    system ? SYSTEM_MESSAGE_SCHEMA : USER_MESSAGE_SCHEMA,
    system ? [] : ["type", "sender"],
  );
  if (item.text === undefined && item.attachmentToken === undefined) {
    own.push(["text", "is required unless attachmentToken is given"]);
  }
  return own;
}

/**
 * The one per-message check of a send and an import: the item's own
 * fields, then (when they are right) its sender, its attachment token and
 * the message it references, against what the store holds. Each problem
 * is named `[i].field`.
 */
function messageProblems(
  store: Store,
  conv: ConversationRecord,
  item: unknown,
  i: number,
  imported: boolean,
): [string, string][] {
  if (!isObject(item)) {
    return [[
      `[${i}]`,
      `must be a JSON object: current value is ${show(item)}`,
    ]];
  }
  const found = ownProblems(item, imported).map((
    [f, m],
  ): [string, string] => [`[${i}].${f}`, m]);
  if (found.length) return found;
  const system = item.type === "SystemMessage";
  if (!system && !Object.hasOwn(conv.participants, item.sender as string)) {
    // An import too: "you can only import messages sent by conversation
    // participants".
    found.push([
      `[${i}].sender`,
      `${
        JSON.stringify(item.sender)
      } is not a participant of this conversation`,
    ]);
  }
  const token = item.attachmentToken as string | undefined;
  if (token !== undefined && !store.files.has(token)) {
    found.push([
      `[${i}].attachmentToken`,
      `no file was uploaded with this token: current value is ${show(token)}`,
    ]);
  }
  const ref = item.referencedMessageId as string | undefined;
  if (ref !== undefined && !conv.messagesById.has(ref)) {
    found.push([
      `[${i}].referencedMessageId`,
      `no message with ID ${JSON.stringify(ref)}`,
    ]);
  }
  return found;
}

/** Up to 10 messages, each checked, or a 400 naming every problem. */
function checkedMessages(
  store: Store,
  conv: ConversationRecord,
  body: unknown,
  imported: boolean,
): Record<string, unknown>[] {
  const items = requireBodyArray(body, 10);
  assertValid(
    items.flatMap((item, i) => messageProblems(store, conv, item, i, imported)),
  );
  return items as Record<string, unknown>[];
}

/**
 * A message's `readBy`: who read it, excluding the sender (TalkJS's Message
 * concept), each once and in the order given, as a simulated read adds
 * them. An import's list may name the sender or someone twice.
 */
function readers(
  given: string[] | undefined,
  senderId: string | null,
): string[] {
  return [...new Set(given ?? [])].filter((id) => id !== senderId);
}

/** A new message from a checked item, with the defaults of the fields not given. */
function newMessage(
  store: Store,
  conv: ConversationRecord,
  item: Record<string, unknown>,
  fields: Pick<Message, "type" | "senderId" | "origin" | "createdAt">,
): Message {
  const token = item.attachmentToken as string | undefined;
  const file = token === undefined ? undefined : store.files.get(token);
  return {
    id: store.newMessageId(),
    conversationId: conv.id,
    readBy: readers(item.readBy as string[] | undefined, fields.senderId),
    custom: { ...(item.custom as Record<string, string> | undefined) },
    editedAt: null,
    referencedMessageId: (item.referencedMessageId as string | undefined) ??
      null,
    attachment: file ? { url: file.url, size: file.blob.size } : null,
    location: null,
    type: fields.type,
    senderId: fields.senderId,
    text: (item.text as string | undefined) ?? null,
    origin: fields.origin,
    createdAt: fields.createdAt,
  };
}

/** `POST /conversations/{cid}/messages`: one `{ id }` per message. */
function sendMessages(
  { store, clock, webhooks }: RouteDeps,
  { params, body }: RouteContext,
): unknown {
  const conv = conversationOf(store, params.conversationId!);
  const items = checkedMessages(store, conv, body, false);
  const now = clock.now();
  // TalkJS answers one `{ id }` per message, in order; a message whose
  // idempotency key was seen before answers the ID stored then.
  return items.map((item) => {
    const key = item.idempotencyKey as string | undefined;
    const known = key === undefined ? undefined : conv.keys.get(key);
    if (known !== undefined) return { id: known };
    const system = item.type === "SystemMessage";
    const m = newMessage(store, conv, item, {
      type: system ? "SystemMessage" : "UserMessage",
      senderId: system ? null : item.sender as string,
      origin: "rest",
      createdAt: now,
    });
    store.addMessage(conv, m);
    if (key !== undefined) conv.keys.set(key, m.id);
    webhooks?.messageSent(conv, m);
    return { id: m.id };
  });
}

/** `POST /import/conversations/{cid}/messages`: no events, as TalkJS's reference says. */
function importMessages(
  { store }: RouteDeps,
  { params, body }: RouteContext,
): unknown {
  const conv = conversationOf(store, params.conversationId!);
  for (const item of checkedMessages(store, conv, body, true)) {
    store.addMessage(
      conv,
      newMessage(store, conv, item, {
        type: "UserMessage",
        senderId: item.sender as string,
        origin: "import",
        createdAt: Math.floor(item.timestamp as number),
      }),
    );
  }
  return {};
}

/** @internal Sending, importing, listing, reading, editing and deleting messages. */
export function messageRoutes(deps: RouteDeps): RouteTable {
  const { store, clock, webhooks } = deps;
  function listMessages({ params, query }: RouteContext): unknown {
    const conv = conversationOf(store, params.conversationId!);
    const ids = pageIds(conv.messages, parsePage(query));
    return {
      data: ids.map((id) => structuredClone(conv.messagesById.get(id)!)),
    };
  }

  function editMessage({ params, body }: RouteContext): unknown {
    const conv = conversationOf(store, params.conversationId!);
    const m = messageOf(conv, params.messageId!);
    const input = validBody(body, EDIT_SCHEMA);
    // Both fields are optional (docs/talkjs-api.md M18): an empty edit
    // changes nothing.
    if (input.text === undefined && input.custom === undefined) return {};
    if (input.text !== undefined) m.text = input.text as string;
    if (input.custom !== undefined) {
      m.custom = mergeCustom(
        m.custom,
        input.custom as Record<string, unknown> | null,
      );
    }
    m.editedAt = clock.now();
    webhooks?.messageUpdated(conv, m);
    return {};
  }

  function deleteMessage({ params }: RouteContext): unknown {
    const conv = conversationOf(store, params.conversationId!);
    const removed = messageOf(conv, params.messageId!);
    store.removeMessage(conv, removed.id);
    webhooks?.messageDeleted(conv, removed);
    return {};
  }

  const one = "/conversations/:conversationId/messages/:messageId";
  return {
    "GET /conversations/:conversationId/messages": listMessages,
    "POST /conversations/:conversationId/messages": (ctx) =>
      sendMessages(deps, ctx),
    "POST /import/conversations/:conversationId/messages": (ctx) =>
      importMessages(deps, ctx),
    [`GET ${one}`]: ({ params }) =>
      structuredClone(
        messageOf(
          conversationOf(store, params.conversationId!),
          params.messageId!,
        ),
      ),
    [`PUT ${one}`]: editMessage,
    [`DELETE ${one}`]: deleteMessage,
  };
}
