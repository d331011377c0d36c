import type { Clock } from "../../clock.ts";
import type { Message } from "../../types.ts";
import { badRequest, notFound } from "../_http.ts";
import type { SortedIndex } from "../_index.ts";
import type { ConversationRecord, Store } from "../_store.ts";
import type { WebhookEmitter } from "../_webhooks.ts";

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

/** @internal One call of an endpoint, from HTTP or from a `/batch` operation. */
export interface RouteRequest {
  method: string;
  /** After `/v1/{appId}`, without the query. */
  path: string;
  query: URLSearchParams;
  /** As {@linkcode RouteContext.body}. */
  body: unknown;
  /** The API version the call runs under. */
  version: string;
  /** The request's origin: URLs the emulator serves start with it. */
  origin: string;
}

/** @internal What one endpoint answers: its status, body and headers. */
export interface RouteResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** @internal Runs one endpoint, as an HTTP request would. */
export type Execute = (request: RouteRequest) => Promise<RouteResult>;

/** @internal A route handler: its answer is sent with status 200 unless it throws an HttpError. */
export type Handler = (ctx: RouteContext) => unknown;

/** @internal A family's routes: `"GET /users/:userId"` → handler. */
export type RouteTable = Record<string, Handler>;

/** @internal What every route family needs. */
export interface RouteDeps {
  store: Store;
  /** Answers whole milliseconds. */
  clock: Clock;
  /** Told of each change TalkJS sends a webhook event for; absent without webhooks. */
  webhooks?: WebhookEmitter | undefined;
}

/** @internal The `limit` query parameter: 10 when absent, else 1 to `max`. */
export function parseLimit(query: URLSearchParams, max: number): number {
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

/** @internal A page's `limit` (1 to 100) and `startingAfter` cursor. */
export function parsePage(
  query: URLSearchParams,
): { limit: number; after: string | undefined } {
  return { limit: parseLimit(query, 100), after: startingAfter(query) };
}

/** @internal One page of `index`, newest first, or a 400 for an unknown cursor. */
export function pageIds(
  index: SortedIndex,
  { limit, after }: { limit: number; after: string | undefined },
  filter?: (id: string) => boolean,
): string[] {
  return index.page(limit, after, filter) ?? unknownCursor(after!);
}

/** @internal A query parameter holding a time in milliseconds, if present. */
export function parseNumber(
  query: URLSearchParams,
  name: string,
): number | undefined {
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

/** @internal A query parameter that is one of `values` (any case), if present. */
export function parseChoice<T extends string>(
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

/** @internal The `startingAfter` cursor, if present. */
export function startingAfter(query: URLSearchParams): string | undefined {
  const raw = query.get("startingAfter");
  if (raw === null) return undefined;
  if (raw === "") badRequest("startingAfter", "must be a non-empty record ID");
  return raw;
}

/** @internal The 400 for a cursor that names no record of the list. */
export function unknownCursor(id: string): never {
  badRequest(
    "startingAfter",
    `no record with ID ${JSON.stringify(id)} in this list`,
  );
}

/** @internal The stored conversation, or a 404. */
export function conversationOf(store: Store, id: string): ConversationRecord {
  return store.conversations.get(id) ??
    notFound("conversationId", `no conversation with ID ${JSON.stringify(id)}`);
}

/** @internal A message of the conversation, or a 404. */
export function messageOf(conv: ConversationRecord, id: string): Message {
  return conv.messagesById.get(id) ??
    notFound(
      "messageId",
      `no message with ID ${JSON.stringify(id)} in this conversation`,
    );
}

/** @internal The 404 for a user ID that names no stored user. */
export function unknownUser(id: string | undefined): never {
  notFound("userId", `no user with ID ${JSON.stringify(id)}`);
}
