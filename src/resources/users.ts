import type {
  Conversation,
  ConversationFilters,
  ListFn,
  User,
  UserInput,
} from "../types.ts";
import type { RequestFn } from "../_http.ts";
import { requireId, requireObject, show } from "../_validate.ts";
import { listFn } from "./_list.ts";

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
  /** `GET /users/{userId}/conversations`, up to 30 a page. */
  readonly conversations: ListFn<Conversation, UserConversationsParams>;
}

/** Creates the users resource over a request function. */
export function createUsersResource(request: RequestFn): UsersResource {
  return {
    async get(userId, options = {}) {
      requireId("get a user", "userId", userId);
      return await request<User>("GET", ["users", userId], {
        signal: options.signal,
      });
    },
    async put(userId, input, options = {}) {
      requireId("put a user", "userId", userId);
      requireObject("put a user", "input", input);
      await request("PUT", ["users", userId], {
        body: input,
        signal: options.signal,
      });
    },
    async putMany(usersById, options = {}) {
      const what = "put users";
      requireObject(what, "usersById", usersById);
      const entries = Object.entries(usersById);
      for (const [id, input] of entries) {
        if (id === "") {
          throw new TypeError(`Cannot ${what} as a user ID is empty`);
        }
        requireObject(what, `usersById[${show(id)}]`, input);
      }
      let requests = 0;
      for (let i = 0; i < entries.length; i += 100) {
        const chunk = Object.fromEntries(entries.slice(i, i + 100));
        await request("PUT", ["users"], {
          body: chunk,
          signal: options.signal,
        });
        requests++;
        options.onProgress?.({
          done: Math.min(i + 100, entries.length),
          total: entries.length,
          requests,
        });
      }
    },
    list: listFn<User>(
      request,
      "list users",
      100,
      () => ({ segments: ["users"] }),
    ),
    conversations: listFn<Conversation, UserConversationsParams>(
      request,
      "list a user's conversations",
      30,
      (p) => ({
        segments: [
          "users",
          requireId("list a user's conversations", "userId", p.userId),
          "conversations",
        ],
        query: {
          unreadsOnly: p.unreadsOnly,
          lastMessageBefore: p.lastMessageBefore,
          lastMessageAfter: p.lastMessageAfter,
          orderBy: p.orderBy,
          orderDirection: p.orderDirection,
        },
      }),
    ),
  };
}
