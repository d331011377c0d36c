/**
 * The stable `code` of every {@linkcode TalkJsError}.
 */
export type TalkJsErrorCode =
  | "TALKJS_API_ERROR"
  | "TALKJS_UNEXPECTED_ANSWER"
  | "TALKJS_NETWORK_ERROR"
  | "TALKJS_TIMEOUT"
  | "TALKJS_WEBHOOK_INVALID";

/**
 * Base class of every failure this module reports (bad arguments are
 * `TypeError`/`RangeError` instead). Never carries the secret key or a token.
 *
 * @example Catch anything from TalkJS
 * ```ts
 * import { TalkJsError } from "@unofficial/talkjs-rest";
 *
 * try {
 *   throw new TalkJsError("TALKJS_NETWORK_ERROR", "Request failed: GET /v1/app/users");
 * } catch (error) {
 *   if (error instanceof TalkJsError) console.log(error.code);
 * }
 * ```
 */
export class TalkJsError extends Error {
  /** A stable machine-readable code. */
  declare readonly code: TalkJsErrorCode;
  /**
   * Set when a chunk of `users.putMany`, `messages.send`, `messages.import`
   * or `batch` failed: where to resume. Everything before `failedAt` was
   * stored; the failed chunk may or may not have been (a lost answer).
   */
  declare chunk?: ChunkFailure;

  /**
   * Creates an error with a stable code.
   *
   * @param code The stable code.
   * @param message A message naming the request or input that failed.
   * @param options `cause`: the original failure.
   */
  constructor(code: TalkJsErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    Object.assign(this, { name: "TalkJsError", code });
  }

  /**
   * A plain, secret-free summary for logs.
   *
   * @returns The name, code, message and the subclass's own fields.
   */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      name: this.name,
      code: this.code,
      message: this.message,
    };
    // A subclass's fields are its own enumerable properties, in the order its
    // constructor set them. `reasons` is already in the message and the body.
    for (const [key, value] of Object.entries(this)) {
      if (!(key in out) && key !== "reasons") out[key] = value;
    }
    return out;
  }
}

/**
 * Where a chunked call stopped; see {@linkcode TalkJsError.chunk}.
 */
export interface ChunkFailure {
  /** Index of the failed chunk's first item in the caller's input. */
  failedAt: number;
  /** How many items the failed chunk held. */
  size: number;
  /** How many items the call was given. */
  total: number;
  /**
   * `batch()` only: the results of the operations that ran before the failed
   * chunk, in order, each with its own status. Not enumerable, so not in
   * `toJSON()`.
   */
  results?: unknown[];
  /**
   * `messages.send()` only: the idempotency key each message was sent with,
   * in input order (`undefined` for system messages). Resend from `failedAt`
   * with these keys and a chunk TalkJS did store is not stored twice. Not
   * enumerable.
   */
  idempotencyKeys?: (string | undefined)[];
  /**
   * `messages.send()` only: the IDs TalkJS answered for the messages before
   * the failed chunk (`failedAt` of them), in input order. Not enumerable.
   */
  ids?: string[];
}

/** What every request's error is constructed from: the request that failed. */
export interface TalkJsRequestErrorInit {
  /** The request's method. */
  method: string;
  /** The request's path and query, as sent: `/v1/{appId}/users/u1`. */
  path: string;
  /** The original failure. */
  cause?: unknown;
}

/**
 * What {@linkcode TalkJsApiError} is constructed from.
 */
export interface TalkJsApiErrorInit extends TalkJsRequestErrorInit {
  /**
   * The HTTP status: anything but 200, except for an unexpected answer
   * (`expected` set), which came with a 200.
   */
  status: number;
  /** The answer's body: parsed JSON when it parsed, else the text. */
  body: unknown;
  /** From `Retry-After`, in milliseconds, when the answer had one. */
  retryAfterMs?: number | undefined;
  /**
   * Set when the answer was a redirect, which is never followed: its
   * `Location`, or a note that the runtime hid it.
   */
  location?: string | undefined;
  /**
   * Set for a 200 whose body is not what the endpoint answers (not JSON, or
   * without the field it must carry): what was expected, e.g.
   * `"{ id: string }"`. The error's code is then `TALKJS_UNEXPECTED_ANSWER`.
   */
  expected?: string | undefined;
}

/**
 * TalkJS answered with a status other than 200 (code `TALKJS_API_ERROR`), or
 * with a 200 whose body is not what the endpoint answers (code
 * `TALKJS_UNEXPECTED_ANSWER`: not JSON, or a GET's record without its `id`).
 *
 * @example Tell a missing user from other failures
 * ```ts
 * import { TalkJsApiError } from "@unofficial/talkjs-rest";
 *
 * const error = new TalkJsApiError({ status: 404, method: "GET", path: "/v1/app/users/u1", body: {} });
 * console.log(error.message); // Request failed with status 404: GET /v1/app/users/u1
 * ``` *
 * @example Fake a rate-limited answer in a test
 * ```ts
 * import { isRetryableError, TalkJsApiError } from "@unofficial/talkjs-rest";
 *
 * const error = new TalkJsApiError({
 *   status: 429,
 *   method: "GET",
 *   path: "/v1/app/users",
 *   body: { errorCode: "RATE_LIMITED" },
 *   retryAfterMs: 2_000,
 * });
 * console.log(isRetryableError(error), error.retryAfterMs); // true 2000
 * ```
 */
export class TalkJsApiError extends TalkJsError {
  /** The HTTP status: 200 only for an unexpected answer (code `TALKJS_UNEXPECTED_ANSWER`). */
  declare readonly status: number;
  /** The request's method. */
  declare readonly method: string;
  /** The request's path and query (no token, no secret). */
  declare readonly path: string;
  /** The answer's body: parsed JSON when it parsed, else the text. */
  declare readonly body: unknown;
  /** From `Retry-After` (seconds or HTTP date), in milliseconds. */
  declare readonly retryAfterMs: number | undefined;
  /** The `reasons` object of a 400 answer, when TalkJS sent one: `{ field: message }`. */
  declare readonly reasons: Record<string, string | string[]> | undefined;
  /** Where a redirect (3xx, never followed) pointed; absent for other answers. */
  declare readonly location?: string;

  /**
   * Creates the error from what failed.
   *
   * @param init Status, method, path, body, Retry-After, Location and what was expected.
   */
  constructor(init: TalkJsApiErrorInit) {
    const { status, method, path, body, retryAfterMs, location, expected } =
      init;
    const reasons = readReasons(body);
    super(
      expected === undefined ? "TALKJS_API_ERROR" : "TALKJS_UNEXPECTED_ANSWER",
      `${
        expected === undefined
          ? `Request failed with status ${status}`
          : `Unexpected answer (expected ${expected})`
      }: ${method} ${path}${
        location !== undefined
          ? ` (a redirect to ${location}, not followed)`
          : reasons
          ? ` (${
            Object.entries(reasons).map(([k, v]) =>
              `${k}: ${[v].flat().join(", ")}`
            ).join("; ")
          })`
          : ""
      }`,
    );
    Object.assign(
      this,
      {
        name: "TalkJsApiError",
        status,
        method,
        path,
        body,
        retryAfterMs,
        reasons,
      },
      location === undefined ? {} : { location },
    );
  }
}

function readReasons(
  body: unknown,
): Record<string, string | string[]> | undefined {
  const reasons = (body as { reasons?: unknown } | null)?.reasons;
  if (typeof reasons !== "object" || !reasons || Array.isArray(reasons)) {
    return undefined;
  }
  const kept = Object.entries(reasons).flatMap(([k, v]) =>
    typeof v === "string"
      ? [[k, v]]
      : Array.isArray(v)
      ? [[k, v.map(String)]]
      : []
  );
  return kept.length ? Object.fromEntries(kept) : undefined;
}

/**
 * The request never got a complete answer: `fetch` rejected (DNS, refused,
 * reset) or the body failed mid-read. `cause` holds the original error.
 *
 * @example Describe a lost connection
 * ```ts
 * import { TalkJsNetworkError } from "@unofficial/talkjs-rest";
 *
 * const error = new TalkJsNetworkError({ method: "GET", path: "/v1/app/users", cause: new TypeError("connection reset") });
 * console.log(error.message); // Request failed before an answer: GET /v1/app/users
 * ```
 */
export class TalkJsNetworkError extends TalkJsError {
  /** The request's method. */
  declare readonly method: string;
  /** The request's path and query. */
  declare readonly path: string;

  /**
   * Creates the error for a request that got no complete answer.
   *
   * @param init The request's method and path, and the original failure as `cause`.
   */
  constructor(init: TalkJsRequestErrorInit) {
    const { method, path, cause } = init;
    super(
      "TALKJS_NETWORK_ERROR",
      `Request failed before an answer: ${method} ${path}`,
      { cause },
    );
    Object.assign(this, { name: "TalkJsNetworkError", method, path });
  }

  /**
   * A plain, secret-free summary for logs.
   *
   * @returns A plain summary with method, path and the cause's message.
   */
  override toJSON(): Record<string, unknown> {
    const { cause } = this;
    return {
      ...super.toJSON(),
      cause: cause instanceof Error ? cause.message : String(cause),
    };
  }
}

/** What {@linkcode TalkJsTimeoutError} is constructed from. */
export interface TalkJsTimeoutErrorInit extends TalkJsRequestErrorInit {
  /** The per-attempt limit that was exceeded, in milliseconds. */
  timeoutMs: number;
}

/**
 * One attempt took longer than `timeoutMs`.
 *
 * @example Read the limit an attempt exceeded
 * ```ts
 * import { TalkJsTimeoutError } from "@unofficial/talkjs-rest";
 *
 * const error = new TalkJsTimeoutError({ method: "GET", path: "/v1/app/users", timeoutMs: 30_000 });
 * console.log(error.timeoutMs); // 30000
 * ```
 */
export class TalkJsTimeoutError extends TalkJsError {
  /** The request's method. */
  declare readonly method: string;
  /** The request's path and query. */
  declare readonly path: string;
  /** The per-attempt limit that was exceeded. */
  declare readonly timeoutMs: number;

  /**
   * Creates the error for an attempt that ran out of time.
   *
   * @param init The request's method and path, the limit that was exceeded,
   * and as `cause` what the aborted fetch rejected with.
   */
  constructor(init: TalkJsTimeoutErrorInit) {
    const { method, path, timeoutMs, cause } = init;
    super(
      "TALKJS_TIMEOUT",
      `Request timed out after ${timeoutMs} ms: ${method} ${path}`,
      "cause" in init ? { cause } : undefined,
    );
    Object.assign(this, {
      name: "TalkJsTimeoutError",
      method,
      path,
      timeoutMs,
    });
  }
}

/**
 * Why {@linkcode verifyWebhook} refused a request.
 */
export type TalkJsWebhookErrorReason =
  | "missing_signature"
  | "missing_timestamp"
  | "bad_timestamp"
  | "stale_timestamp"
  | "bad_signature"
  | "bad_body"
  | "body_too_large";

/**
 * A webhook request was refused: its signature, timestamp or body is wrong.
 *
 * @example Read why a webhook was refused
 * ```ts
 * import { TalkJsWebhookError } from "@unofficial/talkjs-rest";
 *
 * const error = new TalkJsWebhookError("stale_timestamp", "Webhook timestamp is outside the 300 s window");
 * console.log(error.reason); // stale_timestamp
 * ```
 */
export class TalkJsWebhookError extends TalkJsError {
  /** Which check failed. */
  declare readonly reason: TalkJsWebhookErrorReason;

  /**
   * Creates the error for a refused webhook request.
   *
   * @param reason Which check failed.
   * @param message What was wrong, without the secret or the signature.
   * @param options `cause`: the original failure (a JSON parse error).
   */
  constructor(
    reason: TalkJsWebhookErrorReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super("TALKJS_WEBHOOK_INVALID", message, options);
    Object.assign(this, { name: "TalkJsWebhookError", reason });
  }
}
