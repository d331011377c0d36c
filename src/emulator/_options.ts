import { type Clock, systemClock } from "../clock.ts";
import {
  isPositiveFinite,
  requireClock,
  requireInt,
  requireNumber,
  requireObject,
  requireString,
} from "../_validate.ts";
import type { RateLimitConfig } from "./_rate_limit.ts";
import { isApiVersion, LATEST_API_VERSION } from "./_versions.ts";
import {
  type EmulatorWebhookOptions,
  resolveWebhookOptions,
} from "./_webhooks.ts";

/**
 * The emulator's rate limit: a token bucket of `burst` requests refilling
 * `perSecond`, with up to `queue` requests held until capacity frees.
 */
export interface EmulatorRateLimit {
  /** Requests answered at once from a full bucket. */
  burst: number;
  /** Requests per second the bucket refills. */
  perSecond: number;
  /**
   * Requests held (answered late, not refused) once the bucket is empty.
   * @default {0}
   */
  queue?: number;
}

/**
 * Options of {@linkcode createEmulator}.
 */
export interface EmulatorOptions {
  /**
   * The app ID every path must carry: `/v1/{appId}/...`.
   * @default {"tEmulator"}
   */
  appId?: string;
  /**
   * Signs and checks app tokens; also accepted as a legacy bearer token.
   * @default {"sk_test_emulator"}
   */
  secretKey?: string;
  /**
   * The app's rate limit, or `false` for none (which also lifts the 1
   * request/s limit of `/batch`). Only authenticated requests for this app
   * count: a request for another app ID or with a bad token is refused (401)
   * without using up the budget.
   * @default {{ burst: 500, queue: 100, perSecond: 9 }}
   */
  rateLimit?: EmulatorRateLimit | false;
  /**
   * Where time comes from: token expiry, `createdAt`, rate-limit refills and
   * waits, injected delays. Use `createManualClock()` to drive it in tests.
   * Every time the emulator stores or answers is a whole number of
   * milliseconds (rounded down), whatever the clock answers.
   * @default {systemClock}
   */
  clock?: Clock;
  /**
   * Seeds the message IDs (`msg_…`): the same calls, in the same order, give
   * the same IDs on every run. `reset()` starts the sequence again.
   * @default {20251125}
   */
  seed?: number;
  /**
   * The app's default API version, as TalkJS's dashboard sets it per app. A
   * request's `TalkJS-REST-Version` header, and a `/batch` operation's
   * `api_version`, override it. The emulator follows the differences TalkJS's
   * changelog documents: before `2021-02-09` conversation lists are ordered
   * by creation, newest first, and cannot be reordered (from it: by last
   * activity, with `orderBy`, `orderDirection` and `offsetTs`); before
   * `2021-07-30` a user who left a conversation still finds it in their list;
   * before `2024-01-01` an unknown user's conversation list is empty, not a
   * 404.
   * @default {"2024-01-01"}
   */
  apiVersion?: string;
  /**
   * Send TalkJS's webhook events to your endpoint, signed with `secretKey`
   * as TalkJS signs them: after each REST call TalkJS documents an event
   * for (`user.created` or `user.updated` for a user put, `message.sent`,
   * `message.updated`, `message.deleted`, `conversation.deleted`; an import
   * sends none, as TalkJS's reference says) and after each
   * `emu.simulate` action (`message.read`, `notification.*`). Events are
   * queued: the REST call answers first and never waits for, or fails
   * with, its events. They go out in order per conversation (and per
   * user, for user events), one at a time each, and a handler that stalls
   * on one holds no other conversation's; an attempt that
   * is not answered 200 within 5 s is tried once more, 1 s later. Times, including `X-TalkJS-Timestamp`, come from
   * `clock`: with a manual clock, give your `talkjsWebhook()` the same clock
   * (or start it at `Date.now()`), or it refuses the timestamp as stale.
   * See `emu.webhooks` for what was sent.
   */
  webhooks?: EmulatorWebhookOptions;
}

/** @internal {@linkcode EmulatorOptions}, checked, with their defaults. */
export interface ResolvedEmulatorOptions {
  appId: string;
  secretKey: string;
  /** Undefined for no rate limit. */
  rateLimit: RateLimitConfig | undefined;
  clock: Clock;
  apiVersion: string;
  seed: number;
  webhooks: Required<EmulatorWebhookOptions> | undefined;
}

const WHAT = "create an emulator";

const DEFAULT_RATE_LIMIT = { burst: 500, queue: 100, perSecond: 9 } as const;

function resolveRateLimit(
  rateLimit: unknown,
): RateLimitConfig | undefined {
  if (rateLimit === false) return undefined;
  const { burst, perSecond, queue = 0 } = requireObject(
    WHAT,
    "rateLimit",
    rateLimit,
  );
  return {
    burst: requireInt(WHAT, "rateLimit.burst", burst, 1, Infinity),
    perSecond: requireNumber(
      WHAT,
      "rateLimit.perSecond",
      perSecond,
      "a number > 0",
      isPositiveFinite,
    ),
    queue: requireInt(WHAT, "rateLimit.queue", queue, 0, Infinity),
  };
}

/**
 * @internal Checks `createEmulator`'s options once, each failure a
 * TypeError (wrong type) or RangeError (wrong value) naming the option.
 */
export function resolveEmulatorOptions(
  options: EmulatorOptions,
): ResolvedEmulatorOptions {
  const {
    appId = "tEmulator",
    secretKey = "sk_test_emulator",
    rateLimit = DEFAULT_RATE_LIMIT,
    clock = systemClock,
    apiVersion = LATEST_API_VERSION,
    seed = 20251125,
  } = requireObject(WHAT, "options", options) as EmulatorOptions;
  const webhooks = resolveWebhookOptions(options.webhooks);
  const dateRule = 'a date like "2021-02-09"';
  requireString(WHAT, "apiVersion", apiVersion, dateRule, isApiVersion);
  const appIdRule = "a non-empty string without / ? #";
  requireString(WHAT, "appId", appId, appIdRule, (s) => /^[^/?#]+$/.test(s));
  requireNumber(WHAT, "seed", seed, "an integer", Number.isSafeInteger);
  requireString(WHAT, "secretKey", secretKey, "a non-empty string", Boolean);
  // The client's rule: a key it would refuse is of no use here. Not shown.
  if (!/^[\w.~-]+$/.test(secretKey)) {
    throw new RangeError(
      `Cannot ${WHAT} as 'secretKey' must hold only letters, digits and _ . ~ - (as createClient requires)`,
    );
  }
  requireClock(WHAT, "clock", clock);
  return {
    appId,
    secretKey,
    rateLimit: resolveRateLimit(rateLimit),
    clock,
    apiVersion,
    seed,
    webhooks,
  };
}
