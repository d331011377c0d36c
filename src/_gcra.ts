// GCRA (generic cell rate algorithm) shared by every LimiterStore.
import type { ReserveOptions } from "./limiter.ts";
import { show } from "./_validate.ts";

/**
 * Checks the arguments of {@linkcode LimiterStore.reserve}, for every store.
 */
export function checkReserve(key: unknown, options: unknown): ReserveOptions {
  const what = "reserve a slot";
  if (typeof key !== "string") {
    throw new TypeError(
      `Cannot ${what} as 'key' must be a string: current value is ${show(key)}`,
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot ${what} as 'options' must be an object: current value is ${
        show(options)
      }`,
    );
  }
  const { now, intervalMs, burst } = options as Record<string, unknown>;
  if (typeof now !== "number" || !Number.isFinite(now)) {
    throw new RangeError(
      `Cannot ${what} as 'now' must be a finite number: current value is ${
        show(now)
      }`,
    );
  }
  if (
    typeof intervalMs !== "number" || !Number.isFinite(intervalMs) ||
    intervalMs <= 0
  ) {
    throw new RangeError(
      `Cannot ${what} as 'intervalMs' must be a positive finite number: current value is ${
        show(intervalMs)
      }`,
    );
  }
  if (typeof burst !== "number" || !Number.isInteger(burst) || burst < 1) {
    throw new RangeError(
      `Cannot ${what} as 'burst' must be an integer >= 1: current value is ${
        show(burst)
      }`,
    );
  }
  return { now, intervalMs, burst };
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
