import { type Clock, systemClock } from "./clock.ts";
import { memoryStore } from "./memory_store.ts";
import { requireInt, requirePositive, show } from "./_validate.ts";

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

/** How {@linkcode createLimiter} paces requests. */
export interface LimiterOptions {
  /**
   * How many requests may go out at once from a rested state. TalkJS
   * answers 500 at once and queues 100 more.
   * @default {600}
   */
  burst?: number;
  /**
   * Sustained requests per second once the burst is spent. TalkJS refills
   * at 9 per second.
   * @default {9}
   */
  perSecond?: number;
  /**
   * How many acquired requests may be in flight (not yet released) at once:
   * a positive integer or `Infinity`.
   * @default {Infinity}
   */
  concurrency?: number;
  /**
   * Where the budget lives. `kvStore(kv)` from `@unofficial/talkjs-rest/kv`
   * shares it between isolates and processes.
   * @default {memoryStore()}
   */
  store?: LimiterStore;
  /**
   * The budget's name in the store, e.g. the TalkJS app ID.
   * @default {"default"}
   */
  key?: string;
  /**
   * Where time is read and waited on. Pass a manual clock in tests.
   * @default {systemClock}
   */
  clock?: Clock;
}

/**
 * Paces requests to a rate limit (GCRA, the token bucket's exact cousin):
 * `burst` at once, then `perSecond`. Callers are served in the order they
 * asked (FIFO); a waiting caller holds no timer but the head of the queue's.
 */
export interface Limiter {
  /**
   * Resolves when a request may go out, with a `release()` to call once it
   * has finished (it frees a concurrency slot; calling it twice is harmless).
   * An abort of `signal` rejects at once with `signal.reason` and frees the
   * caller's place in the queue.
   *
   * @param signal Gives up waiting.
   * @returns A function that releases the slot.
   */
  acquire(signal?: AbortSignal): Promise<() => void>;
  /**
   * Acquires, runs `fn`, and releases when it settles.
   *
   * @param fn The request to pace.
   * @param signal Gives up waiting (not `fn`: pass it to `fn` yourself).
   * @returns What `fn` resolved to.
   */
  schedule<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /**
   * After a 429: nothing goes out before now + `ms`, whatever the budget
   * says; the whole queue waits.
   *
   * @param ms How long to hold everything, in milliseconds.
   */
  penalize(ms: number): void;
  /** How many callers are waiting. */
  readonly pending: number;
}

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  prev: Waiter | undefined;
  next: Waiter | undefined;
}

/**
 * Creates a limiter that paces requests to a rate limit: from a rested state
 * `burst` requests go out at once, then one every `1000 / perSecond` ms, in
 * the order they were asked for. Only the head of the queue books a slot in
 * the store, so an aborted waiter wastes nothing. Creates no timer until
 * somebody has to wait.
 *
 * @param options Burst, rate, concurrency, store, key and clock.
 * @returns A limiter.
 *
 * @example Two at once, then one every 10 ms
 * ```ts
 * import { createLimiter } from "@unofficial/talkjs-rest";
 *
 * const limiter = createLimiter({ burst: 2, perSecond: 100 });
 * const started = Date.now();
 * const times = await Promise.all(
 *   [1, 2, 3, 4].map(() => limiter.schedule(() => Promise.resolve(Date.now() - started))),
 * );
 * console.log(times); // e.g. [0, 0, 10, 20]
 * ```
 *
 * @example Hold everything after a 429
 * ```ts
 * import { createLimiter } from "@unofficial/talkjs-rest";
 *
 * const limiter = createLimiter();
 * limiter.penalize(5); // e.g. Retry-After
 * const release = await limiter.acquire(); // after about 5 ms
 * release();
 * ```
 */
export function createLimiter(options: LimiterOptions = {}): Limiter {
  const what = "create a limiter";
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot ${what} as 'options' must be an object: current value is ${
        show(options)
      }`,
    );
  }
  const {
    burst = 600,
    perSecond = 9,
    concurrency = Infinity,
    store = memoryStore(),
    key = "default",
    clock = systemClock,
  } = options;
  requireInt(what, "burst", burst, 1, Infinity);
  requirePositive(what, "perSecond", perSecond);
  if (concurrency !== Infinity) {
    if (
      typeof concurrency !== "number" || !Number.isInteger(concurrency) ||
      concurrency < 1
    ) {
      const err = typeof concurrency === "number" ? RangeError : TypeError;
      throw new err(
        `Cannot ${what} as 'concurrency' must be an integer >= 1 or Infinity: current value is ${
          show(concurrency)
        }`,
      );
    }
  }
  if (typeof store?.reserve !== "function") {
    throw new TypeError(
      `Cannot ${what} as 'store' must be a LimiterStore: current value is ${
        show(store)
      }`,
    );
  }
  if (typeof key !== "string" || key === "") {
    throw new TypeError(
      `Cannot ${what} as 'key' must be a non-empty string: current value is ${
        show(key)
      }`,
    );
  }
  if (typeof clock?.now !== "function" || typeof clock.sleep !== "function") {
    throw new TypeError(
      `Cannot ${what} as 'clock' must be a Clock: current value is ${
        show(clock)
      }`,
    );
  }
  const intervalMs = 1000 / perSecond;

  // A doubly linked FIFO, so that an abort anywhere in a long queue is O(1).
  let head: Waiter | undefined;
  let tail: Waiter | undefined;
  let size = 0;
  let inFlight = 0;
  let penaltyUntil = -Infinity;
  let running = false;
  // The pump waits on at most one of these at a time; whoever changes what it
  // waits for calls them.
  let wakeForSlot: (() => void) | undefined;
  let wakeFromSleep: (() => void) | undefined;

  function unlink(w: Waiter): void {
    if (w.prev) w.prev.next = w.next;
    else head = w.next;
    if (w.next) w.next.prev = w.prev;
    else tail = w.prev;
    w.prev = w.next = undefined;
    size--;
    if (w.onAbort) w.signal?.removeEventListener("abort", w.onAbort);
  }

  function makeRelease(): () => void {
    let released = false;
    return function release(): void {
      if (released) return;
      released = true;
      inFlight--;
      wakeForSlot?.();
    };
  }

  async function sleepUntil(time: number): Promise<void> {
    const controller = new AbortController();
    wakeFromSleep = () => controller.abort();
    try {
      await clock.sleep(time - clock.now(), controller.signal);
    } catch (error) {
      // Woken early because the queue emptied: the loop looks again.
      if (!controller.signal.aborted) throw error;
    } finally {
      wakeFromSleep = undefined;
    }
  }

  async function pump(): Promise<void> {
    // A slot booked by the head of the queue and not used yet. If the head
    // gives up, the next caller takes it at the same time.
    let booked: number | undefined;
    try {
      while (head) {
        if (inFlight >= concurrency) {
          await new Promise<void>((resolve) => wakeForSlot = resolve);
          wakeForSlot = undefined;
          continue;
        }
        if (penaltyUntil > clock.now()) {
          // A slot booked before the penalty would go out late, outside the
          // budget's accounting: drop it and book afresh afterwards.
          booked = undefined;
          await sleepUntil(penaltyUntil);
          continue;
        }
        if (booked === undefined) {
          const first = head;
          try {
            const at = await store.reserve(key, {
              now: clock.now(),
              intervalMs,
              burst,
            });
            if (typeof at !== "number" || Number.isNaN(at)) {
              throw new TypeError(
                `Cannot acquire a slot as the store answered a time that is not a number: ${
                  show(at)
                }`,
              );
            }
            booked = at;
          } catch (error) {
            if (first === head) {
              unlink(first);
              first.reject(error);
            }
          }
          continue;
        }
        if (booked > clock.now()) {
          await sleepUntil(booked);
          continue;
        }
        const w = head;
        unlink(w);
        booked = undefined;
        inFlight++;
        w.resolve(makeRelease());
      }
    } catch (error) {
      // Only a broken clock gets here; nobody may be left hanging.
      while (head) {
        const w = head;
        unlink(w);
        w.reject(error);
      }
    } finally {
      running = false;
    }
  }

  function acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<() => void>((resolve, reject) => {
      const w: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: undefined,
        prev: tail,
        next: undefined,
      };
      if (signal) {
        w.onAbort = () => {
          unlink(w);
          reject(signal.reason);
          if (!head) {
            wakeForSlot?.();
            wakeFromSleep?.();
          }
        };
        signal.addEventListener("abort", w.onAbort, { once: true });
      }
      if (tail) tail.next = w;
      else head = w;
      tail = w;
      size++;
      if (!running) {
        running = true;
        pump();
      }
    });
  }

  return {
    acquire,
    async schedule<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      if (typeof fn !== "function") {
        throw new TypeError(
          `Cannot schedule a request as 'fn' must be a function: current value is ${
            show(fn)
          }`,
        );
      }
      const release = await acquire(signal);
      try {
        return await fn();
      } finally {
        release();
      }
    },
    penalize(ms: number): void {
      requirePositive("penalize the limiter", "ms", ms, true);
      penaltyUntil = Math.max(penaltyUntil, clock.now() + ms);
    },
    get pending(): number {
      return size;
    },
  };
}
