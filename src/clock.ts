/**
 * A source of time: what the limiter, retries, tokens and the emulator read
 * and wait on. Inject one to make time deterministic in tests.
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
      const onAbort = () => {
        clearTimeout(id);
        reject(signal!.reason);
      };
      const id = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
};
