import type { Clock } from "./clock.ts";

/**
 * A {@linkcode Clock} that only moves when told to.
 *
 * @example Run a retry's waits without waiting
 * ```ts
 * import { TalkJsNetworkError, withRetry } from "@unofficial/talkjs-rest";
 * import { createManualClock, type ManualClock } from "@unofficial/talkjs-rest/testing";
 *
 * const clock: ManualClock = createManualClock();
 * const reset = new TalkJsNetworkError({ method: "GET", path: "/v1/app/users", cause: new TypeError("reset") });
 * const result = withRetry(
 *   ({ attempt }) => attempt < 3 ? Promise.reject(reset) : Promise.resolve(attempt),
 *   { clock, jitter: "none" },
 * );
 * await clock.runAll();
 * console.log(await result, clock.now(), clock.pending); // 3 750 0
 * ```
 */
export interface ManualClock extends Clock {
  /**
   * Moves time forward by `ms`, waking due sleepers one by one in time order
   * and letting promises settle after each, so code that sleeps again in a
   * loop is driven through every step.
   */
  advance(ms: number): Promise<void>;
  /** Moves time forward until no sleeper is left, at most `limitMs` (default 1 hour). */
  runAll(limitMs?: number): Promise<void>;
  /** How many sleeps are waiting. */
  readonly pending: number;
}

interface Sleeper {
  due: number;
  seq: number;
  resolve: () => void;
}

async function settle(): Promise<void> {
  // Real macrotask turns, so that chains through streams and Request bodies
  // (which are not pure microtasks) get to run between two wake-ups.
  for (let i = 0; i < 3; i++) {
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
  }
}

/**
 * Creates a clock for tests: `now()` starts at `start` and moves only through
 * `advance()`. Sleeps never touch real timers.
 *
 * @param start The initial `now()`, in milliseconds.
 * @returns A manual clock.
 *
 * @example Drive a sleep without waiting
 * ```ts
 * import { createManualClock } from "@unofficial/talkjs-rest/testing";
 *
 * const clock = createManualClock();
 * let woke = false;
 * clock.sleep(1_000).then(() => woke = true);
 * await clock.advance(999);
 * console.log(woke); // false
 * await clock.advance(1);
 * console.log(woke); // true
 * ```
 */
export function createManualClock(start = 0): ManualClock {
  if (!Number.isFinite(start)) {
    throw new RangeError(
      `Cannot create a manual clock as 'start' must be a finite number: current value is ${start}`,
    );
  }
  let now = start;
  let seq = 0;
  const sleepers = new Set<Sleeper>();

  function next(limit: number): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of sleepers) {
      if (s.due > limit) continue;
      if (
        !best || s.due < best.due || (s.due === best.due && s.seq < best.seq)
      ) best = s;
    }
    return best;
  }

  async function advance(ms: number): Promise<void> {
    if (!(ms >= 0) || !Number.isFinite(ms)) {
      throw new RangeError(
        `Cannot advance the clock as 'ms' must be a finite number >= 0: current value is ${ms}`,
      );
    }
    const target = now + ms;
    await settle();
    for (;;) {
      const s = next(target);
      if (!s) break;
      sleepers.delete(s);
      now = Math.max(now, s.due);
      s.resolve();
      await settle();
    }
    now = target;
    await settle();
  }

  return {
    now: () => now,
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<void>((resolve, reject) => {
        const sleeper: Sleeper = {
          due: now + Math.max(0, ms),
          seq: seq++,
          resolve: () => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          sleepers.delete(sleeper);
          reject(signal!.reason);
        };
        sleepers.add(sleeper);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
    advance,
    async runAll(limitMs = 3_600_000): Promise<void> {
      const end = now + limitMs;
      await settle();
      for (;;) {
        const s = next(end);
        if (!s) break;
        await advance(s.due - now);
      }
    },
    get pending(): number {
      return sleepers.size;
    },
  };
}
