/**
 * A source of time: what the limiter, retries, tokens and the emulator read
 * and wait on. Inject one to make time deterministic in tests.
 *
 * @example Pin the time a webhook is signed at
 * ```ts
 * import { type Clock, signWebhook, systemClock } from "@unofficial/talkjs-rest";
 *
 * const newYear: Clock = {
 *   now: () => Date.UTC(2024, 0, 1),
 *   sleep: (ms, signal) => systemClock.sleep(ms, signal),
 * };
 * const headers = await signWebhook({ secret: "sk_test_example", body: "{}", clock: newYear });
 * console.log(headers["X-TalkJS-Timestamp"]); // 1704067200000
 * ```
 */
export interface Clock {
  /** Milliseconds since the Unix epoch (or any fixed origin, for a manual clock). */
  now(): number;
  /**
   * Resolves after `ms` milliseconds; rejects with `signal.reason` as soon as
   * `signal` aborts, clearing whatever it waited on.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const MAX_TIMEOUT = 2 ** 31 - 1;

/**
 * The real clock: `Date.now()` and `setTimeout`. Nothing runs at module
 * load; a timer exists only while somebody sleeps.
 *
 * @example Wait a little, abortably
 * ```ts
 * import { systemClock } from "@unofficial/talkjs-rest";
 *
 * const before = systemClock.now();
 * await systemClock.sleep(5);
 * console.log(systemClock.now() - before >= 4);
 * ```
 */
export const systemClock: Clock = {
  now(): number {
    return Date.now();
  },
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      let id: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => {
        clearTimeout(id);
        reject(signal!.reason);
      };
      // setTimeout takes at most 2^31 - 1 ms (about 24.8 days) and fires at
      // once beyond it: wait longer in steps. Infinity waits for the abort.
      let left = Math.max(0, ms);
      const step = () => {
        if (left === Infinity) return;
        const now = Math.min(left, MAX_TIMEOUT);
        left -= now;
        id = setTimeout(() => {
          if (left > 0) return step();
          signal?.removeEventListener("abort", onAbort);
          resolve();
        }, now);
      };
      step();
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
};
