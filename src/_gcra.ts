// GCRA (generic cell rate algorithm) shared by every LimiterStore.
import type { ReserveOptions } from "./limiter.ts";
import { fail, isPositiveFinite, requireNumber } from "./_validate.ts";

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
