import type {
  CallOptions,
  ChunkProgress,
  Conversation,
  ConversationFilters,
  ListFn,
  Presence,
  PresenceFilters,
  User,
  UserInput,
} from "../types.ts";
import type { RequestFn } from "../_types.ts";
import { requireObject, show } from "../_validate.ts";
import { CONVERSATION_FILTERS, endpoint, listFn } from "./_endpoint.ts";
import { checkChunkOptions, inChunks } from "./_chunks.ts";

/**
 * Progress of {@linkcode UsersResource.putMany}, after each chunk.
 *
 * @deprecated Use {@linkcode ChunkProgress}, its new name.
 */
export type PutManyProgress = ChunkProgress;

/** Options of {@linkcode UsersResource.putMany}: `signal` aborts the remaining chunks. */
export interface PutManyOptions extends CallOptions {
  /** Called after each stored chunk. */
  onProgress?: (progress: ChunkProgress) => void;
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
  get(userId: string, options?: CallOptions): Promise<User>;
  /** `PUT /users/{userId}`: creates or updates; only sent fields change. */
  put(
    userId: string,
    input: UserInput,
    options?: CallOptions,
  ): Promise<void>;
  /**
   * Creates or updates any number of users, 100 per `PUT /users` (each chunk
   * all or nothing). Chunks go in order; when one fails, the ones before it
   * are stored and the error names the failed request. Answers how many
   * users were put and in how many requests.
   *
   * @example Find where a bulk write stopped
   * ```ts
   * import { createClient, TalkJsError, type UserInput } from "@unofficial/talkjs-rest";
   * import { createEmulator } from "@unofficial/talkjs-rest/testing";
   *
   * const emu = createEmulator();
   * const talk = createClient({ appId: emu.appId, secretKey: emu.secretKey, baseUrl: emu.baseUrl, fetch: emu.fetch });
   * const users: Record<string, UserInput> = {};
   * for (let i = 0; i < 150; i++) users[`u${i}`] = { name: `User ${i}` };
   * users["u120"] = {}; // a new user without a name: TalkJS refuses its whole chunk
   * const chunk = await talk.users.putMany(users).then(
   *   () => undefined,
   *   (error) => error instanceof TalkJsError ? error.chunk : undefined,
   * );
   * console.log(chunk); // { failedAt: 100, size: 50, total: 150 }
   * ```
   */
  putMany(
    usersById: Readonly<Record<string, UserInput>>,
    options?: PutManyOptions,
  ): Promise<{ put: number; requests: number }>;
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
    options?: CallOptions,
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
      const requests = await inChunks(
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
      return { put: entries.length, requests };
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
