import type { Clock } from "../clock.ts";

/** @internal What {@linkcode createRateLimit} is built from. */
export interface RateLimitConfig {
  burst: number;
  perSecond: number;
  queue: number;
}

/** @internal Per-key token buckets with a bounded waiting queue. */
export interface RateLimit {
  /**
   * Admits one request for `key`: resolves `0` when it may be handled (after
   * waiting in the queue if the bucket was empty), or the whole seconds a
   * refused request should wait (at least 1). Rejects with the signal's
   * reason when the request is aborted while queued, giving its slot back.
   * `signal` is read only when the request has to wait.
   */
  admit(key: string, signal?: () => AbortSignal): Promise<number>;
  reset(): void;
}

const EPSILON = 1e-9;

interface Bucket {
  tokens: number;
  last: number;
}

/**
 * @internal A token bucket of `burst` refilling `perSecond`; when it is
 * empty, up to `queue` requests borrow against future refills (the bucket
 * goes negative) and sleep until their token exists.
 */
export function createRateLimit(
  config: RateLimitConfig,
  clock: Clock,
): RateLimit {
  const { burst, perSecond, queue } = config;
  const buckets = new Map<string, Bucket>();

  function refill(key: string): Bucket {
    const now = clock.now();
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = { tokens: burst, last: now };
      buckets.set(key, bucket);
    }
    const elapsed = Math.max(0, now - bucket.last);
    bucket.tokens = Math.min(burst, bucket.tokens + elapsed * perSecond / 1000);
    bucket.last = now;
    return bucket;
  }

  return {
    async admit(key, signal) {
      const bucket = refill(key);
      // Refills add up in floating point: a token due exactly now may read
      // 0.9999999999999991, and must count as there.
      if (bucket.tokens >= 1 - EPSILON) {
        bucket.tokens -= 1;
        return 0;
      }
      if (bucket.tokens - 1 >= -queue - EPSILON) {
        bucket.tokens -= 1;
        const waitMs = (-bucket.tokens * 1000) / perSecond;
        try {
          await clock.sleep(waitMs, signal?.());
        } catch (error) {
          const b = refill(key);
          b.tokens = Math.min(burst, b.tokens + 1);
          throw error;
        }
        return 0;
      }
      const untilSlotMs = ((1 - queue - bucket.tokens) * 1000) / perSecond;
      return Math.max(1, Math.ceil(untilSlotMs / 1000));
    },
    reset() {
      buckets.clear();
    },
  };
}

/**
 * @internal TalkJS's limit of 1 `/batch` request per second, on when the
 * app has a rate limit: `take()` answers 0 when a batch may run now (and
 * counts it), else the whole seconds to wait.
 */
export function createBatchGate(
  clock: Clock,
  enabled: boolean,
): { take(): number; reset(): void } {
  let lastBatchAt: number | undefined;
  return {
    take() {
      if (!enabled) return 0;
      const now = clock.now();
      if (lastBatchAt !== undefined && now - lastBatchAt < 1000) {
        return Math.max(1, Math.ceil((lastBatchAt + 1000 - now) / 1000));
      }
      lastBatchAt = now;
      return 0;
    },
    reset() {
      lastBatchAt = undefined;
    },
  };
}
