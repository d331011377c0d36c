import type {
  Conversation,
  ConversationFilters,
  ListFn,
  Presence,
  PresenceFilters,
  User,
  UserInput,
} from "../types.ts";
import type { RequestFn } from "../_http.ts";
import { requireObject, show } from "../_validate.ts";
import { CONVERSATION_FILTERS, endpoint, listFn } from "./_endpoint.ts";
import { checkChunkOptions, inChunks } from "./_chunks.ts";

/** Progress of {@linkcode UsersResource.putMany}, after each chunk. */
export interface PutManyProgress {
  /** Users stored so far. */
  done: number;
  /** Users to store in all. */
  total: number;
  /** Requests sent so far (one per chunk of up to 100). */
  requests: number;
}

/** Options of {@linkcode UsersResource.putMany}. */
export interface PutManyOptions {
  /** Called after each stored chunk. */
  onProgress?: (progress: PutManyProgress) => void;
  /** Aborts the remaining chunks. */
  signal?: AbortSignal;
}

/** Extra parameters of {@linkcode UsersResource.conversations}. */
export interface UserConversationsParams extends ConversationFilters {
  /** Whose conversations. */
  userId: string;
  /** Only conversations with unread messages. */
  unreadsOnly?: boolean;
}

/** The `users` resource of a {@linkcode TalkJsClient}. */
export interface UsersResource {
  /** `GET /users/{userId}`. */
  get(userId: string, options?: { signal?: AbortSignal }): Promise<User>;
  /** `PUT /users/{userId}`: creates or updates; only sent fields change. */
  put(
    userId: string,
    input: UserInput,
    options?: { signal?: AbortSignal },
  ): Promise<void>;
  /**
   * Creates or updates any number of users, 100 per `PUT /users` (each chunk
   * all or nothing). Chunks go in order; when one fails, the ones before it
   * are stored and the error names the failed request.
   */
  putMany(
    usersById: Readonly<Record<string, UserInput>>,
    options?: PutManyOptions,
  ): Promise<void>;
  /** `GET /users`, newest first, up to 100 a page. */
  readonly list: ListFn<User>;
  /** `GET /users/{userId}/conversations`, up to 100 a page. */
  readonly conversations: ListFn<Conversation, UserConversationsParams>;
  /**
   * `POST /presences`: the users online now, by user ID, with their
   * sessions. By default only users with a visible chat UI (a widget).
   */
  presences(
    input?: PresenceFilters,
    options?: { signal?: AbortSignal },
  ): Promise<{ data: Record<string, Presence> }>;
}

/** Creates the users resource over a request function. */
export function createUsersResource(request: RequestFn): UsersResource {
  return {
    get: endpoint(request, "get a user", "GET", "users/:userId"),
    put: endpoint(request, "put a user", "PUT", "users/:userId", true),
    async putMany(usersById, options) {
      const what = "put users";
      const entries = Object.entries(
        requireObject(what, "usersById", usersById),
      );
      // Checked before the first chunk is sent, not when it is stored.
      const { signal, onProgress } = checkChunkOptions(what, options);
      for (const [id, input] of entries) {
        if (!id) throw new TypeError(`Cannot ${what} as a user ID is empty`);
        requireObject(what, `usersById[${show(id)}]`, input);
      }
      await inChunks(
        entries,
        100,
        "users",
        (chunk) =>
          request("PUT", ["users"], {
            body: Object.fromEntries(chunk),
            signal,
          }),
        { onProgress },
      );
    },
    list: listFn(request, "list users", 100, "users"),
    conversations: listFn(
      request,
      "list a user's conversations",
      100,
      "users/:userId/conversations",
      ["unreadsOnly", ...CONVERSATION_FILTERS],
    ),
    presences: endpoint(
      request,
      "list presences",
      "POST",
      "presences",
      "optional",
      ["data", "object"],
    ),
  };
}
