import type { Clock } from "../clock.ts";
import type {
  Conversation,
  Message,
  Presence,
  PresenceFilters,
  User,
} from "../types.ts";
import { badRequest, errorBody, HttpError, notFound } from "./_http.ts";
import type { ConversationRecord, Store } from "./_store.ts";
import type { WebhookEmitter } from "./_webhooks.ts";
import {
  isApiVersion,
  LATEST_API_VERSION,
  since,
  VERSION,
} from "./_versions.ts";
import {
  assertValid,
  type Check,
  checks,
  isObject,
  mergeCustom,
  problems,
  requireArray,
  requireObject,
  show,
} from "./_validate.ts";

/** @internal What a route handler gets. */
export interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
  /**
   * The parsed JSON body; `undefined` when there was none; a `FormData` for
   * a multipart upload.
   */
  body: unknown;
  /** The API version the request runs under: `"2021-02-09"`. */
  version: string;
  /** The request's origin (`http://host:port`): URLs the emulator serves start with it. */
  origin: string;
}

/** @internal What a route answers: always 200 unless it throws an HttpError. */
export interface RouteResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

type Handler = (ctx: RouteContext) => unknown;

interface Route {
  method: string;
  pattern: string;
  segments: string[];
  handler: Handler;
}

/** @internal A request matched to its endpoint, with the path's IDs. */
export interface RouteMatch {
  /** The stats key: `"GET /users/:userId"`. */
  key: string;
  route: Route;
  params: Record<string, string>;
}

/** @internal The emulator's endpoints, callable from HTTP and from /batch. */
export interface Router {
  /** The endpoint for `path` (after `/v1/{appId}`, no query), if any. */
  match(method: string, path: string): RouteMatch | undefined;
  /**
   * Runs the endpoint for `path`: `found`, when the caller matched it
   * already, else matched here. `origin` starts the URLs of what it serves
   * (default `deps.baseUrl`).
   */
  execute(
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
    found?: RouteMatch,
    version?: string,
    origin?: string,
  ): Promise<RouteResult>;
}

/** @internal What the routes need besides the store. */
export interface RouterDeps {
  store: Store;
  clock: Clock;
  /** 0 when a /batch request may run now, else whole seconds to wait. */
  batchGate(): number;
  /** The app ID, part of each participant's email address. */
  appId: string;
  /** The origin of requests that name none (`emu.baseUrl`). */
  baseUrl: string;
  /** Told of each change TalkJS sends a webhook event for; absent without webhooks. */
  webhooks?: WebhookEmitter | undefined;
}

const USER_SCHEMA: Record<string, Check> = {
  // The record's own ID, which TalkJS's examples send along: it must match
  // the path (TalkJS does not say what a different one does).
  id: checks.nonEmptyString,
  name: checks.nonEmptyString,
  email: checks.nullableStringArray,
  phone: checks.nullableStringArray,
  photoUrl: checks.nullableString,
  welcomeMessage: checks.nullableString,
  role: checks.nullableString,
  locale: checks.nullableString,
  custom: checks.nullableCustomPatch,
  availabilityText: checks.nullableString,
  pushTokens: checks.pushTokens,
  /** The old name of `role`, which TalkJS's PHP example still sends. */
  configuration: checks.nullableString,
};

const CONVERSATION_SCHEMA: Record<string, Check> = {
  id: checks.nonEmptyString,
  participants: checks.idArray,
  subject: checks.nullableString,
  photoUrl: checks.nullableString,
  welcomeMessages: checks.nullableStringArray,
  custom: checks.nullableCustomPatch,
};

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

const PRESENCE_SCHEMA: Record<string, Check> = {
  includeBackgroundSessions: checks.boolean,
  selectedConversationId: checks.nullableString,
  hasFocus: checks.boolean,
  isTyping: checks.boolean,
  userIds: checks.idArray,
};

/**
 * The emulator's own cap on an upload (TalkJS documents none that the
 * project could read): past it, a 413.
 */
export const MAX_FILE_BYTES = 25 * 1024 * 1024;

/**
 * The emulator's cap on all uploads it keeps (`reset()` frees them): past
 * it, a 413, so that a served emulator cannot be filled without bound.
 */
export const MAX_STORED_FILE_BYTES = 100 * 1024 * 1024;

const BATCH_METHODS = ["GET", "PUT", "POST", "PATCH", "DELETE"];

function parseLimit(query: URLSearchParams, max: number): number {
  const raw = query.get("limit");
  if (raw === null) return 10;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= max)) {
    badRequest(
      "limit",
      `must be an integer from 1 to ${max}: current value is ${raw}`,
    );
  }
  return n;
}

function parseNumber(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const n = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n)) {
    badRequest(
      name,
      `must be a number of milliseconds since the epoch: current value is ${raw}`,
    );
  }
  return n;
}

function parseChoice<T extends string>(
  query: URLSearchParams,
  name: string,
  values: readonly T[],
): T | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const found = values.find((v) => v.toLowerCase() === raw.toLowerCase());
  if (!found) {
    badRequest(
      name,
      `must be one of ${values.join(", ")}: current value is ${raw}`,
    );
  }
  return found;
}

function startingAfter(query: URLSearchParams): string | undefined {
  const raw = query.get("startingAfter");
  if (raw === null) return undefined;
  if (raw === "") badRequest("startingAfter", "must be a non-empty record ID");
  return raw;
}

function unknownCursor(id: string): never {
  badRequest(
    "startingAfter",
    `no record with ID ${JSON.stringify(id)} in this list`,
  );
}

function compile(method: string, pattern: string, handler: Handler): Route {
  return { method, pattern, segments: pattern.split("/").slice(1), handler };
}

/** @internal Builds the emulator's routes over `deps.store`. */
export function createRouter(deps: RouterDeps): Router {
  const { store, clock, webhooks } = deps;

  function conversation(id: string): ConversationRecord {
    return store.conversations.get(id) ??
      notFound(
        "conversationId",
        `no conversation with ID ${JSON.stringify(id)}`,
      );
  }

  function userView(user: User): User {
    return structuredClone(user);
  }

  // ---- users ----

  function applyUser(id: string, input: Record<string, unknown>): void {
    const existing = store.users.get(id);
    const user: User = existing ?? {
      id,
      name: "",
      email: null,
      phone: null,
      photoUrl: null,
      welcomeMessage: null,
      role: null,
      locale: null,
      custom: {},
      availabilityText: null,
      pushTokens: null,
      createdAt: clock.now(),
    };
    for (const [field, value] of Object.entries(input)) {
      if (field === "id") continue;
      if (field === "custom") {
        user.custom = mergeCustom(
          user.custom ?? {},
          value as Record<string, unknown> | null,
        );
      } else if (field === "pushTokens") {
        user.pushTokens = value === null ? null : mergeCustom(
          user.pushTokens ?? {},
          value as Record<string, unknown>,
        );
      } else {
        const key = field === "configuration" ? "role" : field;
        (user as unknown as Record<string, unknown>)[key] = structuredClone(
          value,
        );
      }
    }
    if (!existing) {
      store.users.set(id, user);
      store.userIndex.insert(id, user.createdAt, store.nextSeq());
    }
    webhooks?.userSaved(user, !existing);
  }

  function userProblems(id: string, input: unknown): [string, string][] {
    if (!isObject(input)) {
      return [["", `must be a JSON object: current value is ${show(input)}`]];
    }
    const found = problems(input, USER_SCHEMA);
    if (input.id !== undefined && input.id !== id) {
      found.push(["id", `must be the user ID of the path (${show(id)})`]);
    }
    if (input.role !== undefined && input.configuration !== undefined) {
      found.push(["configuration", "is the old name of role: send one"]);
    }
    if (!store.users.has(id) && input.name === undefined) {
      found.push(["name", "is required when creating a user"]);
    }
    return found;
  }

  function putUser({ params, body }: RouteContext): unknown {
    const id = params.userId!;
    const found = userProblems(id, body);
    if (found.length === 1 && found[0]![0] === "") {
      badRequest("body", found[0]![1]);
    }
    assertValid(found);
    applyUser(id, body as Record<string, unknown>);
    return {};
  }

  function putUsers({ body }: RouteContext): unknown {
    const input = requireObject(body);
    const entries = Object.entries(input);
    if (entries.length > 100) {
      badRequest(
        "body",
        `must hold at most 100 users: current count is ${entries.length}`,
      );
    }
    const reasons: Record<string, string> = Object.create(null);
    for (const [id, user] of entries) {
      if (id === "") reasons[id] = "a user ID must be a non-empty string";
      for (const [field, message] of userProblems(id, user)) {
        reasons[field === "" ? id : `${id}.${field}`] = message;
      }
    }
    if (Object.keys(reasons).length > 0) throw new HttpError(400, reasons);
    for (const [id, user] of entries) {
      applyUser(id, user as Record<string, unknown>);
    }
    return {};
  }

  function getUser({ params }: RouteContext): unknown {
    const user = store.users.get(params.userId!) ??
      notFound("userId", `no user with ID ${JSON.stringify(params.userId)}`);
    return userView(user);
  }

  function listUsers({ query }: RouteContext): unknown {
    const limit = parseLimit(query, 100);
    const after = startingAfter(query);
    const ids = store.userIndex.page(limit, after) ?? unknownCursor(after!);
    return { data: ids.map((id) => userView(store.users.get(id)!)) };
  }

  // ---- conversations ----

  type OrderBy = "createdAt" | "lastActivity";

  /**
   * Where a conversation sorts: its creation, or its last activity (its
   * newest message, if newer), with the insertion order of that event to
   * break ties within a millisecond.
   */
  function orderKey(
    conv: ConversationRecord,
    by: OrderBy,
  ): { key: number; seq: number } {
    const last = by === "lastActivity" ? store.lastMessage(conv) : null;
    return last && last.createdAt >= conv.createdAt
      ? { key: last.createdAt, seq: conv.messages.newestSeq()! }
      : { key: conv.createdAt, seq: conv.seq };
  }

  /**
   * How a conversation list is ordered under `version`: TalkJS's changelog
   * makes last activity the default from 2021-02-09, and before it "the
   * order is createdAt DESC and cannot be changed".
   */
  function listOrder(query: URLSearchParams, version: string): {
    by: OrderBy;
    direction: "DESC" | "ASC";
    offsetTs: number | undefined;
  } {
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
   * One page of conversations. `scope` is every candidate (a user's), or
   * undefined for the whole app, which the default order pages through the
   * sorted index without sorting.
   */
  function pageConversations(
    query: URLSearchParams,
    version: string,
    scope: ConversationRecord[] | undefined,
    extra?: (conv: ConversationRecord) => boolean,
  ): { data: Conversation[] } {
    const limit = parseLimit(query, 100);
    const after = startingAfter(query);
    const before = parseNumber(query, "lastMessageBefore");
    const later = parseNumber(query, "lastMessageAfter");
    const { by, direction, offsetTs } = listOrder(query, version);
    const filter = (conv: ConversationRecord): boolean => {
      if (before !== undefined || later !== undefined) {
        const last = store.lastMessage(conv);
        if (!last) return false;
        if (before !== undefined && !(last.createdAt < before)) return false;
        if (later !== undefined && !(last.createdAt > later)) return false;
      }
      return !extra || extra(conv);
    };

    if (
      !scope && by === "createdAt" && direction === "DESC" &&
      offsetTs === undefined
    ) {
      const ids = store.conversationIndex.page(
        limit,
        after,
        (id) => filter(store.conversations.get(id)!),
      ) ?? unknownCursor(after!);
      return {
        data: ids.map((id) => store.view(store.conversations.get(id)!)),
      };
    }

    let records = (scope ?? [...store.conversations.values()])
      .map((conv) => ({ conv, ...orderKey(conv, by) }))
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
    if (after !== undefined) {
      const i = records.findIndex((r) => r.conv.id === after);
      if (i < 0) unknownCursor(after);
      start = i + 1;
    }
    const data: Conversation[] = [];
    for (let i = start; i < records.length && data.length < limit; i++) {
      const conv = records[i]!.conv;
      if (filter(conv)) data.push(store.view(conv));
    }
    return { data };
  }

  function listConversations({ query, version }: RouteContext): unknown {
    return pageConversations(query, version, undefined);
  }

  function listUserConversations(
    { params, query, version }: RouteContext,
  ): unknown {
    const userId = params.userId!;
    const ids = new Set(store.userConversations.get(userId));
    // Before 2021-07-30, a conversation a user left stays in their list.
    if (!since(version, VERSION.LEAVE)) {
      for (const id of store.userLeft.get(userId) ?? []) ids.add(id);
    }
    if (!store.users.has(userId) && !ids.size) {
      if (!since(version, VERSION.UNKNOWN_USER_404)) {
        parseLimit(query, 100); // its parameters are checked all the same
        return { data: [] };
      }
      notFound("userId", `no user with ID ${JSON.stringify(userId)}`);
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
      query,
      version,
      scope,
      raw === "true" ? (conv) => store.isUnread(conv, userId) : undefined,
    );
  }

  function putConversation({ params, body }: RouteContext): unknown {
    const input = requireObject(body);
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
        store.setParticipant(conv, userId, {
          access: "ReadWrite",
          notify: true,
        });
      }
    }
    return {};
  }

  function getConversation({ params }: RouteContext): unknown {
    return store.view(conversation(params.conversationId!));
  }

  function deleteConversation({ params }: RouteContext): unknown {
    const conv = conversation(params.conversationId!);
    webhooks?.conversationDeleted(conv);
    store.deleteConversation(params.conversationId!);
    return {};
  }

  // ---- participants ----

  function participantInput(
    body: unknown,
    schema: Record<string, Check>,
  ): Record<string, unknown> {
    const input = body === undefined ? {} : requireObject(body);
    assertValid(problems(input, schema));
    return input;
  }

  function putParticipant({ params, body }: RouteContext): unknown {
    const conv = conversation(params.conversationId!);
    const input = participantInput(body, {
      access: checks.access,
      notify: checks.notify,
    });
    store.setParticipant(conv, params.userId!, {
      access: (input.access as "ReadWrite" | "Read" | undefined) ?? "ReadWrite",
      notify: (input.notify as boolean | "MentionsOnly" | undefined) ?? true,
    });
    return {};
  }

  function patchParticipant({ params, body }: RouteContext): unknown {
    const conv = conversation(params.conversationId!);
    const input = participantInput(body, {
      access: checks.accessOrNone,
      notify: checks.notify,
    });
    const current = conv.participants[params.userId!] ??
      notFound(
        "userId",
        `${JSON.stringify(params.userId)} is not a participant`,
      );
    store.setParticipant(conv, params.userId!, {
      access: (input.access as "ReadWrite" | "Read" | "None" | undefined) ??
        current.access,
      notify: (input.notify as boolean | "MentionsOnly" | undefined) ??
        current.notify,
    });
    return {};
  }

  function deleteParticipant({ params }: RouteContext): unknown {
    // "All calls on this page are idempotent" (TalkJS's participation
    // reference): removing someone who is not a participant is no error.
    store.removeParticipant(
      conversation(params.conversationId!),
      params.userId!,
    );
    return {};
  }

  // ---- messages ----

  function message(conv: ConversationRecord, id: string): Message {
    return conv.messagesById.get(id) ??
      notFound(
        "messageId",
        `no message with ID ${JSON.stringify(id)} in this conversation`,
      );
  }

  function newMessage(
    conv: ConversationRecord,
    fields:
      & Pick<Message, "type" | "senderId" | "text" | "origin" | "createdAt">
      & Partial<Message>,
  ): Message {
    return {
      id: store.newMessageId(),
      conversationId: conv.id,
      readBy: [],
      custom: {},
      editedAt: null,
      referencedMessageId: null,
      attachment: null,
      location: null,
      ...fields,
    };
  }

  /** A 400 reason for an `attachmentToken` no upload answered. */
  function attachmentProblems(
    item: Record<string, unknown>,
    i: number,
  ): [string, string][] {
    const token = item.attachmentToken as string | undefined;
    return token === undefined || store.files.has(token) ? [] : [[
      `[${i}].attachmentToken`,
      `no file was uploaded with this token: current value is ${show(token)}`,
    ]];
  }

  /** The `attachment` of a message sent or imported with `item`. */
  function attachment(
    item: Record<string, unknown>,
  ): { url: string; size: number } | null {
    const token = item.attachmentToken as string | undefined;
    const file = token === undefined ? undefined : store.files.get(token);
    return file ? { url: file.url, size: file.blob.size } : null;
  }

  function sendMessages({ params, body }: RouteContext): unknown {
    const conv = conversation(params.conversationId!);
    const items = requireArray(body, 10);
    const found: [string, string][] = [];
    items.forEach((item, i) => {
      if (!isObject(item)) {
        found.push([
          `[${i}]`,
          `must be a JSON object: current value is ${show(item)}`,
        ]);
        return;
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
      found.push(...own.map(([f, m]): [string, string] => [`[${i}].${f}`, m]));
      if (own.length) return;
      found.push(...attachmentProblems(item, i));
      if (!system && !Object.hasOwn(conv.participants, item.sender as string)) {
        found.push([
          `[${i}].sender`,
          `${
            JSON.stringify(item.sender)
          } is not a participant of this conversation`,
        ]);
      }
      const ref = item.referencedMessageId as string | undefined;
      if (ref !== undefined && !conv.messagesById.has(ref)) {
        found.push([
          `[${i}].referencedMessageId`,
          `no message with ID ${JSON.stringify(ref)}`,
        ]);
      }
    });
    assertValid(found);
    const now = clock.now();
    // TalkJS answers one `{ id }` per message, in order; a message whose
    // idempotency key was seen before answers the ID stored then.
    const ids: { id: string }[] = [];
    for (const item of items as Record<string, unknown>[]) {
      const key = item.idempotencyKey as string | undefined;
      const known = key === undefined ? undefined : conv.keys.get(key);
      if (known !== undefined) {
        ids.push({ id: known });
        continue;
      }
      const system = item.type === "SystemMessage";
      const m = newMessage(conv, {
        type: system ? "SystemMessage" : "UserMessage",
        senderId: system ? null : item.sender as string,
        text: (item.text as string | undefined) ?? null,
        custom: { ...(item.custom as Record<string, string> | undefined) },
        referencedMessageId: (item.referencedMessageId as string | undefined) ??
          null,
        attachment: attachment(item),
        origin: "rest",
        createdAt: now,
      });
      store.addMessage(conv, m);
      if (key !== undefined) conv.keys.set(key, m.id);
      webhooks?.messageSent(conv, m);
      ids.push({ id: m.id });
    }
    return ids;
  }

  function importMessages({ params, body }: RouteContext): unknown {
    const conv = conversation(params.conversationId!);
    const items = requireArray(body, 10);
    const found: [string, string][] = [];
    items.forEach((item, i) => {
      if (!isObject(item)) {
        found.push([
          `[${i}]`,
          `must be a JSON object: current value is ${show(item)}`,
        ]);
        return;
      }
      // "All fields are required" (TalkJS's import reference), readBy too.
      const own = problems(item, IMPORT_MESSAGE_SCHEMA, [
        "type",
        "sender",
        "text",
        "timestamp",
        "readBy",
      ]);
      found.push(...own.map(([f, m]): [string, string] => [`[${i}].${f}`, m]));
      if (
        !own.length && !Object.hasOwn(conv.participants, item.sender as string)
      ) {
        // "you can only import messages sent by conversation participants"
        found.push([
          `[${i}].sender`,
          `${
            JSON.stringify(item.sender)
          } is not a participant of this conversation`,
        ]);
      }
      if (!own.length) found.push(...attachmentProblems(item, i));
    });
    assertValid(found);
    for (const item of items as Record<string, unknown>[]) {
      store.addMessage(
        conv,
        newMessage(conv, {
          type: "UserMessage",
          senderId: item.sender as string,
          text: item.text as string,
          readBy: [...((item.readBy as string[] | undefined) ?? [])],
          custom: { ...(item.custom as Record<string, string> | undefined) },
          attachment: attachment(item),
          origin: "import",
          createdAt: Math.floor(item.timestamp as number),
        }),
      );
    }
    return {};
  }

  function listMessages({ params, query }: RouteContext): unknown {
    const conv = conversation(params.conversationId!);
    const limit = parseLimit(query, 100);
    const after = startingAfter(query);
    const ids = conv.messages.page(limit, after) ?? unknownCursor(after!);
    return {
      data: ids.map((id) => structuredClone(conv.messagesById.get(id)!)),
    };
  }

  function getMessage({ params }: RouteContext): unknown {
    const conv = conversation(params.conversationId!);
    return structuredClone(message(conv, params.messageId!));
  }

  function editMessage({ params, body }: RouteContext): unknown {
    const conv = conversation(params.conversationId!);
    const m = message(conv, params.messageId!);
    const input = requireObject(body);
    assertValid(problems(input, EDIT_SCHEMA));
    // Both fields are optional (API.md): an empty edit changes nothing.
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
    const conv = conversation(params.conversationId!);
    const removed = message(conv, params.messageId!);
    store.removeMessage(conv, params.messageId!);
    webhooks?.messageDeleted(conv, removed);
    return {};
  }

  /**
   * The participants with unanswered messages, whom TalkJS notifies when no
   * recipients are given: our reading is those who have a message from
   * someone else newer than their own last one ("in a one-on-one
   * conversation, precisely 1 notification … to whoever did not write the
   * latest message").
   */
  function unanswered(conv: ConversationRecord): string[] {
    const last = store.lastMessage(conv);
    if (!last) return [];
    return Object.keys(conv.participants).filter((id) => id !== last.senderId);
  }

  function notify({ params, body }: RouteContext): unknown {
    const conv = conversation(params.conversationId!);
    const input = requireObject(body);
    assertValid(problems(input, NOTIFICATION_SCHEMA, ["channels"]));
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
      recipients: [...(recipients ?? unanswered(conv))],
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

  // ---- participant email, presences, files ----

  /**
   * The participant's inbound address, in the emulator's own form (TalkJS's
   * is not documented): 20 hex digits of SHA-256 over the app, conversation
   * and user IDs, at `reply.talkjs.invalid` (a domain that never receives
   * mail). The same participant always gets the same address.
   */
  async function participantEmail({ params }: RouteContext): Promise<unknown> {
    const conv = conversation(params.conversationId!);
    const userId = params.userId!;
    if (!Object.hasOwn(conv.participants, userId)) {
      notFound("userId", `${JSON.stringify(userId)} is not a participant`);
    }
    const digest = await crypto.subtle.digest(
      "SHA-256",
      new TextEncoder().encode(JSON.stringify([deps.appId, conv.id, userId])),
    );
    const hex = Array.from(
      new Uint8Array(digest, 0, 10),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    return { emailAddress: `${hex}@reply.talkjs.invalid` };
  }

  /**
   * The users online, as TalkJS's User Presence page describes the filters:
   * a user is listed when one of their sessions (widgets; background
   * sessions too with `includeBackgroundSessions`) matches every filter
   * given. Nobody is online until a test sets sessions (`emu.presence.set`).
   */
  function presences({ body }: RouteContext): unknown {
    const filters = body === undefined ? {} : requireObject(body);
    assertValid(problems(filters, PRESENCE_SCHEMA));
    const {
      includeBackgroundSessions = false,
      selectedConversationId,
      hasFocus,
      isTyping,
      userIds,
    } = filters as PresenceFilters;
    const data: Record<string, Presence> = {};
    for (const [userId, presence] of store.presences) {
      if (userIds && !userIds.includes(userId)) continue;
      const sessions = includeBackgroundSessions
        ? [...presence.widgets, ...presence.backgroundSessions]
        : presence.widgets;
      const online = sessions.some((s) =>
        (selectedConversationId === undefined ||
          s.selectedConversationId === selectedConversationId) &&
        (hasFocus === undefined || s.hasFocus === hasFocus) &&
        (isTyping === undefined || s.isTyping === isTyping)
      );
      if (!online) continue;
      data[userId] = {
        status: "online",
        backgroundSessions: includeBackgroundSessions
          ? structuredClone(presence.backgroundSessions)
          : [],
        widgets: structuredClone(presence.widgets),
      };
    }
    return { data };
  }

  /**
   * `POST /files`: multipart with a `file` part and a `filename` field, as
   * TalkJS's own upload example sends them. The emulator is strict where
   * TalkJS's reference is silent: both are required and no other field is
   * known. Answers the token that attaches the file to a message.
   */
  function uploadFile({ body, origin }: RouteContext): unknown {
    if (!(body instanceof FormData)) {
      badRequest(
        "content-type",
        "must be multipart/form-data, with a file part and a filename field",
      );
    }
    const strict =
      "(TalkJS's own upload example sends it; the emulator is strict where TalkJS's reference is silent)";
    for (const key of new Set(body.keys())) {
      if (key !== "file" && key !== "filename") {
        badRequest(key, `is not a known field ${strict}`);
      }
    }
    const file = body.get("file");
    if (!(file instanceof File)) {
      badRequest(
        "file",
        file === null
          ? "is required: a file part"
          : "must be a file part, not a text field",
      );
    }
    const filename = body.get("filename");
    if (typeof filename !== "string" || filename === "") {
      badRequest("filename", `is required, a non-empty text field ${strict}`);
    }
    if (file.size > MAX_FILE_BYTES) {
      throw new HttpError(413, {
        file:
          `must be at most 25 MB (the emulator's own cap): current size is ${file.size} bytes`,
      });
    }
    let kept = 0;
    for (const stored of store.files.values()) kept += stored.blob.size;
    if (kept + file.size > MAX_STORED_FILE_BYTES) {
      throw new HttpError(413, {
        file:
          `would take the emulator's uploads past 100 MB (its own cap; reset() frees them): ${kept} bytes kept`,
      });
    }
    const token = "att_" + Array.from(
      crypto.getRandomValues(new Uint8Array(16)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    store.files.set(token, {
      blob: file,
      type: file.type || "application/octet-stream",
      filename,
      url: `${origin}/files/${token}`,
    });
    return { attachmentToken: token };
  }

  // ---- batch ----

  async function batch(
    { body, version, origin }: RouteContext,
  ): Promise<unknown> {
    const ops = requireArray(body, 10);
    const found: [string, string][] = [];
    ops.forEach((op, i) => {
      const ok = Array.isArray(op) && op.length >= 3 && op.length <= 5 &&
        (typeof op[0] === "string" || typeof op[0] === "number") &&
        typeof op[1] === "string" &&
        BATCH_METHODS.includes(op[1].toUpperCase()) &&
        typeof op[2] === "string" && op[2].startsWith("/") &&
        (op.length < 5 ||
          isObject(op[4]) &&
            (op[4].api_version === undefined ||
              isApiVersion(op[4].api_version))) &&
        // A GET's payload is its query parameters.
        (op[1].toUpperCase() !== "GET" || op[3] === undefined ||
          isObject(op[3]));
      if (!ok) {
        found.push([
          `[${i}]`,
          `must be [seq, method, path, payload?, options?] with method one of ${
            BATCH_METHODS.join(", ")
          }, a path starting with "/", a GET's payload an object of query parameters and options an object (its api_version a date like "2021-02-09"): current value is ${
            show(op)
          }`,
        ]);
      }
    });
    assertValid(found);
    const retryAfter = deps.batchGate();
    if (retryAfter > 0) {
      throw new HttpError(
        429,
        { batch: "at most 1 batch request per second" },
        {
          "retry-after": String(retryAfter),
        },
      );
    }
    const results: [string | number, number, unknown][] = [];
    for (
      const op of ops as [
        string | number,
        string,
        string,
        unknown?,
        { api_version?: string }?,
      ][]
    ) {
      const [seq, method, target, payload, options] = op;
      const url = new URL(target, "http://batch.invalid");
      const m = method.toUpperCase();
      if (m === "GET" && payload !== undefined) {
        for (const [k, v] of Object.entries(payload as object)) {
          url.searchParams.set(k, String(v));
        }
      }
      const result = url.pathname === "/batch"
        ? {
          status: 400,
          body: errorBody(400, { path: "a batch cannot contain /batch" }),
        }
        : await execute(
          m,
          url.pathname,
          url.searchParams,
          m === "GET" ? undefined : payload,
          undefined,
          // An operation's own api_version overrides the request's.
          options?.api_version ?? version,
          origin,
        );
      results.push([seq, result.status, result.body]);
    }
    return results;
  }

  const routes: Route[] = [
    compile("PUT", "/users", putUsers),
    compile("GET", "/users", listUsers),
    compile("PUT", "/users/:userId", putUser),
    compile("GET", "/users/:userId", getUser),
    compile("GET", "/users/:userId/conversations", listUserConversations),
    compile("GET", "/conversations", listConversations),
    compile("PUT", "/conversations/:conversationId", putConversation),
    compile("GET", "/conversations/:conversationId", getConversation),
    compile("DELETE", "/conversations/:conversationId", deleteConversation),
    compile(
      "PUT",
      "/conversations/:conversationId/participants/:userId",
      putParticipant,
    ),
    compile(
      "PATCH",
      "/conversations/:conversationId/participants/:userId",
      patchParticipant,
    ),
    compile(
      "DELETE",
      "/conversations/:conversationId/participants/:userId",
      deleteParticipant,
    ),
    compile("GET", "/conversations/:conversationId/messages", listMessages),
    compile("POST", "/conversations/:conversationId/messages", sendMessages),
    compile(
      "GET",
      "/conversations/:conversationId/messages/:messageId",
      getMessage,
    ),
    compile(
      "PUT",
      "/conversations/:conversationId/messages/:messageId",
      editMessage,
    ),
    compile(
      "DELETE",
      "/conversations/:conversationId/messages/:messageId",
      deleteMessage,
    ),
    compile("POST", "/conversations/:conversationId/notifications", notify),
    compile(
      "POST",
      "/import/conversations/:conversationId/messages",
      importMessages,
    ),
    compile("POST", "/batch", batch),
    compile(
      "GET",
      "/conversations/:conversationId/participants/:userId/email",
      participantEmail,
    ),
    compile("POST", "/presences", presences),
    compile("POST", "/files", uploadFile),
  ];

  function match(method: string, path: string): RouteMatch | undefined {
    const parts = path.split("/").slice(1);
    for (const route of routes) {
      if (route.method !== method || route.segments.length !== parts.length) {
        continue;
      }
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; ok && i < parts.length; i++) {
        const want = route.segments[i]!;
        const got = parts[i]!;
        if (want.startsWith(":")) {
          try {
            params[want.slice(1)] = decodeURIComponent(got);
          } catch {
            ok = false;
          }
          if (got === "") ok = false;
        } else if (want !== got) ok = false;
      }
      if (ok) return { key: `${method} ${route.pattern}`, route, params };
    }
    return undefined;
  }

  async function execute(
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
    found = match(method, path),
    version: string = LATEST_API_VERSION,
    origin = deps.baseUrl,
  ): Promise<RouteResult> {
    if (!found) {
      return {
        status: 404,
        body: errorBody(404, { path: `no endpoint ${method} ${path}` }),
      };
    }
    try {
      const result = await found.route.handler({
        params: found.params,
        query,
        body,
        version,
        origin,
      });
      return { status: 200, body: result ?? {} };
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      return {
        status: error.status,
        body: errorBody(error.status, error.reasons),
        ...(error.headers ? { headers: error.headers } : {}),
      };
    }
  }

  return { match, execute };
}
