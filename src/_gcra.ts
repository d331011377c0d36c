// GCRA (generic cell rate algorithm) shared by every LimiterStore, and the
// store's interface.
import { fail, isPositiveFinite, requireNumber } from "./_validate.ts";

/** What {@linkcode LimiterStore.reserve} is told about the slot to book. */
export interface ReserveOptions {
  /** The caller's current time, in milliseconds. */
  now: number;
  /** The sustained spacing between two requests: `1000 / perSecond`. */
  intervalMs: number;
  /** How many requests may go out at once from a rested state. */
  burst: number;
}

/**
 * Where a {@linkcode Limiter} keeps its state: one theoretical arrival time
 * (GCRA) per key. Limiters sharing a store and a key share one budget.
 */
export interface LimiterStore {
  /**
   * Atomically books the next slot for `key` and answers the time at which
   * it may be used (never before `options.now`).
   *
   * @param key The budget's name, e.g. the TalkJS app ID.
   * @param options The caller's time, the interval and the burst.
   * @returns The time, on the caller's clock, at which the request may go out.
   */
  reserve(key: string, options: ReserveOptions): Promise<number>;
}

/**
 * Checks the arguments of {@linkcode LimiterStore.reserve}, for every store.
 */
export function checkReserve(key: unknown, options: unknown): ReserveOptions {
  const what = "reserve a slot";
  if (typeof key !== "string") fail(what, "key", "a string", key);
  if (typeof options !== "object" || !options) {
    fail(what, "options", "an object", options);
  }
  const { now, intervalMs, burst } = options as Record<string, unknown>;
  requireNumber(what, "now", now, "a finite number", isFinite, RangeError);
  requireNumber(
    what,
    "intervalMs",
    intervalMs,
    "a positive finite number",
    isPositiveFinite,
    RangeError,
  );
  requireNumber(
    what,
    "burst",
    burst,
    "an integer >= 1",
    (n) => Number.isInteger(n) && n >= 1,
    RangeError,
  );
  return { now, intervalMs, burst } as ReserveOptions;
}

/**
 * One GCRA step: from the stored theoretical arrival time (or none), the new
 * one to store and the time at which the booked request may go out.
 */
export function gcra(
  stored: number | undefined,
  { now, intervalMs, burst }: ReserveOptions,
): { tat: number; at: number } {
  const tat = Math.max(stored ?? now, now);
  const allowedAt = tat - (burst - 1) * intervalMs;
  return { tat: tat + intervalMs, at: Math.max(now, allowedAt) };
}
