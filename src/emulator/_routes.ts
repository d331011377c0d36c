import type { Clock } from "../clock.ts";
import type { Conversation, Message, User } from "../types.ts";
import { badRequest, errorBody, HttpError, notFound } from "./_http.ts";
import type { ConversationRecord, Store } from "./_store.ts";
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
  /** The parsed JSON body; `undefined` when there was none. */
  body: unknown;
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
   * already, else matched here.
   */
  execute(
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
    found?: RouteMatch,
  ): Promise<RouteResult>;
}

/** @internal What the routes need besides the store. */
export interface RouterDeps {
  store: Store;
  clock: Clock;
  /** 0 when a /batch request may run now, else whole seconds to wait. */
  batchGate(): number;
}

const USER_SCHEMA: Record<string, Check> = {
  name: checks.nonEmptyString,
  email: checks.nullableStringArray,
  phone: checks.nullableStringArray,
  photoUrl: checks.nullableString,
  welcomeMessage: checks.nullableString,
  role: checks.nullableString,
  locale: checks.nullableString,
  custom: checks.customPatch,
};

const CONVERSATION_SCHEMA: Record<string, Check> = {
  participants: checks.idArray,
  subject: checks.nullableString,
  photoUrl: checks.nullableString,
  welcomeMessages: checks.nullableStringArray,
  custom: checks.customPatch,
};

const USER_MESSAGE_SCHEMA: Record<string, Check> = {
  type: checks.oneOf(["UserMessage"]),
  sender: checks.nonEmptyString,
  text: checks.string,
  custom: checks.custom,
  referencedMessageId: checks.nonEmptyString,
  idempotencyKey: checks.nonEmptyString,
};

const SYSTEM_MESSAGE_SCHEMA: Record<string, Check> = {
  type: checks.oneOf(["SystemMessage"]),
  text: checks.string,
  custom: checks.custom,
};

const IMPORT_MESSAGE_SCHEMA: Record<string, Check> = {
  type: checks.oneOf(["UserMessage"]),
  sender: checks.nonEmptyString,
  text: checks.string,
  timestamp: checks.timestamp,
  readBy: checks.stringArray,
  custom: checks.custom,
};

const EDIT_SCHEMA: Record<string, Check> = {
  text: checks.string,
  custom: checks.customPatch,
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
};

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
  const { store, clock } = deps;

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
      createdAt: clock.now(),
    };
    for (const [key, value] of Object.entries(input)) {
      if (key === "custom") {
        user.custom = mergeCustom(
          user.custom ?? {},
          value as Record<string, unknown>,
        );
      } else {(user as unknown as Record<string, unknown>)[key] =
          structuredClone(value);}
    }
    if (!existing) {
      store.users.set(id, user);
      store.userIndex.insert(id, user.createdAt, store.nextSeq());
    }
  }

  function userProblems(id: string, input: unknown): [string, string][] {
    if (!isObject(input)) {
      return [["", `must be a JSON object: current value is ${show(input)}`]];
    }
    const found = problems(input, USER_SCHEMA);
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

  type OrderBy = "createdAt" | "lastMessageTs" | "lastActivity";

  function orderKey(conv: ConversationRecord, by: OrderBy): number {
    if (by === "createdAt") return conv.createdAt;
    const last = store.lastMessage(conv);
    if (by === "lastMessageTs") return last ? last.createdAt : -Infinity;
    return last ? Math.max(conv.createdAt, last.createdAt) : conv.createdAt;
  }

  function hasUnread(conv: ConversationRecord, userId: string): boolean {
    for (const message of conv.messagesById.values()) {
      if (message.senderId !== userId && !message.readBy.includes(userId)) {
        return true;
      }
    }
    return false;
  }

  /**
   * One page of conversations. `scope` is every candidate (a user's), or
   * undefined for the whole app, which the default order pages through the
   * sorted index without sorting.
   */
  function pageConversations(
    query: URLSearchParams,
    scope: ConversationRecord[] | undefined,
    extra?: (conv: ConversationRecord) => boolean,
  ): { data: Conversation[] } {
    const limit = parseLimit(query, 30);
    const after = startingAfter(query);
    const before = parseNumber(query, "lastMessageBefore");
    const since = parseNumber(query, "lastMessageAfter");
    const orderBy = parseChoice(query, "orderBy", [
      "createdAt",
      "lastMessageTs",
      "lastActivity",
    ]);
    const direction = parseChoice(query, "orderDirection", ["DESC", "ASC"]) ??
      "DESC";
    const filter = (conv: ConversationRecord): boolean => {
      if (before !== undefined || since !== undefined) {
        const last = store.lastMessage(conv);
        if (!last) return false;
        if (before !== undefined && !(last.createdAt < before)) return false;
        if (since !== undefined && !(last.createdAt > since)) return false;
      }
      return !extra || extra(conv);
    };

    if (
      !scope && (orderBy ?? "createdAt") === "createdAt" && direction === "DESC"
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

    const by = orderBy ?? "createdAt";
    const records = (scope ?? [...store.conversations.values()])
      .map((conv) => ({ conv, key: orderKey(conv, by) }))
      .sort((a, b) => a.key - b.key || a.conv.seq - b.conv.seq);
    if (direction === "DESC") records.reverse();
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

  function listConversations({ query }: RouteContext): unknown {
    return pageConversations(query, undefined);
  }

  function listUserConversations({ params, query }: RouteContext): unknown {
    const userId = params.userId!;
    const ids = store.userConversations.get(userId);
    if (!store.users.has(userId) && !ids?.size) {
      notFound("userId", `no user with ID ${JSON.stringify(userId)}`);
    }
    const raw = query.get("unreadsOnly");
    if (raw !== null && raw !== "true" && raw !== "false") {
      badRequest(
        "unreadsOnly",
        `must be true or false: current value is ${raw}`,
      );
    }
    const scope = [...(ids ?? [])].map((id) => store.conversations.get(id)!);
    return pageConversations(
      query,
      scope,
      raw === "true" ? (conv) => hasUnread(conv, userId) : undefined,
    );
  }

  function putConversation({ params, body }: RouteContext): unknown {
    const input = requireObject(body);
    assertValid(problems(input, CONVERSATION_SCHEMA));
    const id = params.conversationId!;
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
        input.custom as Record<string, unknown>,
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
    conversation(params.conversationId!);
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
    const conv = conversation(params.conversationId!);
    if (!store.removeParticipant(conv, params.userId!)) {
      notFound(
        "userId",
        `${JSON.stringify(params.userId)} is not a participant`,
      );
    }
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
        system ? ["text"] : ["type", "sender", "text"],
      );
      found.push(...own.map(([f, m]): [string, string] => [`[${i}].${f}`, m]));
      if (own.length) return;
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
    for (const item of items as Record<string, unknown>[]) {
      const key = item.idempotencyKey as string | undefined;
      if (key !== undefined && conv.keys.has(key)) continue;
      const system = item.type === "SystemMessage";
      const m = newMessage(conv, {
        type: system ? "SystemMessage" : "UserMessage",
        senderId: system ? null : item.sender as string,
        text: item.text as string,
        custom: { ...(item.custom as Record<string, string> | undefined) },
        referencedMessageId: (item.referencedMessageId as string | undefined) ??
          null,
        origin: "rest",
        createdAt: now,
      });
      store.addMessage(conv, m);
      if (key !== undefined) conv.keys.set(key, m.id);
    }
    return {};
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
      const own = problems(item, IMPORT_MESSAGE_SCHEMA, [
        "type",
        "sender",
        "text",
        "timestamp",
      ]);
      found.push(...own.map(([f, m]): [string, string] => [`[${i}].${f}`, m]));
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
          origin: "import",
          createdAt: item.timestamp as number,
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
      m.custom = mergeCustom(m.custom, input.custom as Record<string, unknown>);
    }
    m.editedAt = clock.now();
    return {};
  }

  function deleteMessage({ params }: RouteContext): unknown {
    const conv = conversation(params.conversationId!);
    message(conv, params.messageId!);
    store.removeMessage(conv, params.messageId!);
    return {};
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
      recipients: [...(recipients ?? Object.keys(conv.participants))],
      createdAt: clock.now(),
    });
    return {};
  }

  // ---- batch ----

  async function batch({ body }: RouteContext): Promise<unknown> {
    const ops = requireArray(body, 10);
    const found: [string, string][] = [];
    ops.forEach((op, i) => {
      const ok = Array.isArray(op) && (op.length === 3 || op.length === 4) &&
        (typeof op[0] === "string" || typeof op[0] === "number") &&
        typeof op[1] === "string" &&
        BATCH_METHODS.includes(op[1].toUpperCase()) &&
        typeof op[2] === "string" && op[2].startsWith("/");
      if (!ok) {
        found.push([
          `[${i}]`,
          `must be [seq, method, path, payload?] with method one of ${
            BATCH_METHODS.join(", ")
          } and a path starting with "/": current value is ${show(op)}`,
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
    for (const op of ops as [string | number, string, string, unknown?][]) {
      const [seq, method, target, payload] = op;
      const url = new URL(target, "http://batch.invalid");
      const m = method.toUpperCase();
      const result = url.pathname === "/batch"
        ? {
          status: 400,
          body: errorBody(400, { path: "a batch cannot contain /batch" }),
        }
        : await execute(m, url.pathname, url.searchParams, payload);
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
