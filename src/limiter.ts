import { type Clock, systemClock } from "./clock.ts";
import { memoryStore } from "./memory_store.ts";
import type { LimiterStore } from "./_gcra.ts";
import {
  fail,
  isCount,
  requireClock,
  requireFunction,
  requireId,
  requireInt,
  requireNumber,
  requirePositive,
  requireSignal,
  show,
} from "./_validate.ts";

export type { LimiterStore, ReserveOptions } from "./_gcra.ts";

/**
 * How long after its start a wave of due callers counts as let out at once
 * (see `waveLast` in createLimiter), in milliseconds.
 */
const WAVE_MS = 10;

/**
 * A booked time this close after now (ms, a microsecond) is now: stores'
 * float sums drift by nanoseconds. Not more: with a clock of whole
 * milliseconds, a slot 1 ms away is a real one.
 */
const TOLERANCE_MS = 0.001;

/** How {@linkcode createLimiter} paces requests. */
export interface LimiterOptions {
  /**
   * How many requests may go out at once from a rested state. TalkJS
   * answers 500 at once and queues 100 more.
   * @default {600}
   */
  burst?: number;
  /**
   * Sustained requests per second once the burst is spent. TalkJS's pages
   * give no refill rate that we could read: 9 per second is our figure.
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
   * shares it between isolates and processes, `redisStore(client)` from
   * `@unofficial/talkjs-rest/redis` between processes and machines.
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
  /**
   * How long after its slot a paced request goes out, in milliseconds (a
   * request from the burst goes at once). A server counts arrivals, and the
   * first requests of a burst arrive a few milliseconds after their slot
   * (token signing, a busy event loop); without slack, the first paced
   * request would arrive early by that much. It shifts the paced stream once,
   * never its rate.
   * @default {Math.min(500 / perSecond, 50)}
   */
  slackMs?: number;
}

/**
 * Paces requests to a rate limit (GCRA, the token bucket's exact cousin):
 * `burst` at once, then `perSecond`. Callers are served in the order they
 * asked (FIFO). A waiting caller holds its place in the queue and a promise,
 * no timer (on Workers, one timer of its own: a request that only waits on
 * another request is cancelled as hung there); only the head of the queue
 * sleeps, nothing spins, and a caller's wait takes the same memory however
 * long it lasts.
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
   * says; the whole queue waits. One exception: callers being let out
   * together, their slots all due at once (a burst, or the queue when a hold
   * ends), go on as the budget allows, as if they had left in the same
   * instant as the request whose 429 this is; the hold starts behind them.
   * So a server that answers 429 at once cannot stop each burst after its
   * first request, which would leave a queue of N needing N holds to drain.
   *
   * @param ms How long to hold everything, in milliseconds.
   */
  penalize(ms: number): void;
  /** How many callers are waiting. */
  readonly pending: number;
}

/** A caller in the limiter's queue. */
interface Waiter {
  /** Order of arrival, to estimate how long the wait for the turn is. */
  seq: number;
  /**
   * Ends the caller's current nap early (its turn came, a concurrency slot
   * freed); set only while it naps. One field, not a long-lived promise that
   * every nap would race: a wait leaves nothing attached behind it.
   */
  wake: (() => void) | undefined;
  /**
   * Set while the caller is parked (everywhere but on Workers), waiting for
   * its turn with no timer and no suspended function: whoever makes it the
   * head starts its turn for it, which settles its promise.
   */
  parked: Parked | undefined;
  prev: Waiter | undefined;
  next: Waiter | undefined;
}

/** What a parked caller's turn, once started, settles. */
interface Parked {
  signal: AbortSignal | undefined;
  /** What to run with the slot; without it the caller gets the release. */
  fn: (() => Promise<unknown>) | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** The listener on `signal` that takes the caller out of the queue. */
  abort: (() => void) | undefined;
}

/**
 * The FIFO of waiting callers: a doubly linked list, so that an abort
 * anywhere in a long queue is O(1). Whoever becomes the head is woken by
 * `onHead`.
 */
function createQueue(onHead: (head: Waiter) => void) {
  let arrivals = 0;
  const queue = {
    head: undefined as Waiter | undefined,
    tail: undefined as Waiter | undefined,
    size: 0,
    enqueue(): Waiter {
      const w: Waiter = {
        seq: arrivals++,
        wake: undefined,
        parked: undefined,
        prev: queue.tail,
        next: undefined,
      };
      if (queue.tail) queue.tail.next = w;
      else queue.head = w;
      queue.tail = w;
      queue.size++;
      return w;
    },
    leave(w: Waiter): void {
      const wasHead = queue.head === w;
      if (w.prev) w.prev.next = w.next;
      else queue.head = w.next;
      if (w.next) w.next.prev = w.prev;
      else queue.tail = w.prev;
      w.prev = w.next = undefined;
      queue.size--;
      if (wasHead && queue.head) onHead(queue.head);
    },
  };
  return queue;
}

/**
 * Waits until `w.wake()` is called, at most `ms` on the caller's own timer;
 * rejects with `signal.reason` on abort. Leaves no timer, listener or
 * handler behind, however often a caller naps.
 */
async function nap(
  clock: Clock,
  w: Waiter,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  // Another caller wakes this one by resolving a promise of this nap's
  // own, never by touching its timer: on Workers a timer belongs to the
  // request that started it, and cancelling it from another request's
  // handler throws ("Cannot perform I/O on behalf of a different
  // request"). A fresh promise per nap leaves nothing behind once it ends.
  const timer = new AbortController();
  const stop = () => timer.abort();
  signal?.addEventListener("abort", stop, { once: true });
  const woken = new Promise<void>((resolve) => w.wake = resolve);
  try {
    await Promise.race([
      woken,
      clock.sleep(ms, timer.signal).catch(() => {}),
    ]);
  } finally {
    w.wake = undefined;
    signal?.removeEventListener("abort", stop);
    timer.abort();
  }
  signal?.throwIfAborted();
}

async function sleepUntil(
  clock: Clock,
  time: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const ms = time - clock.now();
  if (ms > 0) await clock.sleep(ms, signal);
}

/** A slot booked in the store: `at`, when the caller may go (the slot plus the stream's shift). */
interface Booking {
  slot: number;
  at: number;
}

/** A limiter's options, checked, and its state. */
interface LimiterState {
  intervalMs: number;
  burst: number;
  concurrency: number;
  store: LimiterStore;
  key: string;
  clock: Clock;
  slackMs: number;
  queue: ReturnType<typeof createQueue>;
  /** Whether each waiting caller needs a timer of its own (on Workers). */
  ownTimers: boolean;
  inFlight: number;
  /** Nothing goes out before this, after a 429 (but see `waveLast`). */
  penaltyUntil: number;
  /** A slot booked by a head that gave up before using it: the next head takes it while it is not yet due. */
  handedOver: number | undefined;
  /**
   * The paced stream runs `slackMs` behind its slots, from the first request
   * that has to wait until the limiter rests again: `shift` is 0 or
   * `slackMs`; `lastOut` when the last caller went, `lastSlot` its slot.
   */
  shift: number;
  lastOut: number;
  lastSlot: number;
  /**
   * The last caller of the wave under way, and when it started: the callers
   * queued when a grant started it, let through one after another while each
   * one's slot is already due. A hold set meanwhile (a 429 answering one of
   * them) holds the queue behind the wave, not the rest of it: released in no
   * time, they would all have gone out before that answer came back. Without
   * this, a server that answers 429 at once (in process) re-arms the hold
   * after the first few of every wave, and a queue of N needs about N holds
   * to drain. Only a wave let out in no time is one: past WAVE_MS from its
   * start (a store with a round trip per slot, such as Redis), the rest of it
   * is held like anyone else, since the answer had time to come back.
   */
  waveLast: number;
  waveStart: number;
}

/**
 * Whether this is Cloudflare Workers (workerd), read as Hono's
 * `getRuntimeKey()` does, or, where Workers has no `navigator` (a
 * compatibility date before 2022-03-21, or the `no_global_navigator` flag),
 * by `WebSocketPair`, a global of workerd's alone.
 */
function onWorkers(): boolean {
  return globalThis.navigator?.userAgent === "Cloudflare-Workers" ||
    typeof (globalThis as { WebSocketPair?: unknown }).WebSocketPair ===
      "function";
}

function resolveLimiterOptions(options: LimiterOptions): LimiterState {
  const what = "create a limiter";
  if (typeof options !== "object" || !options) {
    fail(what, "options", "an object", options);
  }
  const {
    burst = 600,
    perSecond = 9,
    concurrency = Infinity,
    store = memoryStore(),
    key = "default",
    clock = systemClock,
    slackMs = Math.min(500 / perSecond, 50),
  } = options;
  requireInt(what, "burst", burst, 1, Infinity);
  requirePositive(what, "perSecond", perSecond);
  requirePositive(what, "slackMs", slackMs, true);
  requireNumber(
    what,
    "concurrency",
    concurrency,
    "an integer >= 1 or Infinity",
    (n) => n >= 1 && isCount(n),
  );
  if (typeof store?.reserve !== "function") {
    fail(what, "store", "a LimiterStore", store);
  }
  requireId(what, "key", key);
  requireClock(what, "clock", clock);
  const state: LimiterState = {
    intervalMs: 1000 / perSecond,
    burst,
    concurrency,
    store,
    key,
    clock,
    slackMs,
    queue: createQueue((head) => wakeHead(state, head)),
    ownTimers: onWorkers(),
    inFlight: 0,
    penaltyUntil: -Infinity,
    handedOver: undefined,
    shift: 0,
    lastOut: -Infinity,
    lastSlot: -Infinity,
    waveLast: -1,
    waveStart: -Infinity,
  };
  return state;
}

/**
 * Books a slot in the store; an abort rejects at once, and a slot the
 * store answers after that goes to the next caller, unused.
 */
function reserve(
  s: LimiterState,
  now: number,
  signal: AbortSignal | undefined,
): Promise<number> {
  const { intervalMs, burst } = s;
  // A custom store may answer a plain number: taken as a promise of it.
  const booking = Promise.resolve(
    s.store.reserve(s.key, { now, intervalMs, burst }),
  );
  if (!signal) return booking;
  return new Promise((resolve, reject) => {
    const abort = () => {
      reject(signal.reason);
      booking.then((at) => {
        if (typeof at === "number" && s.handedOver === undefined) {
          s.handedOver = at;
          wakeHead(s, s.queue.head);
        }
      }, () => {});
    };
    signal.addEventListener("abort", abort, { once: true });
    booking.then(resolve, reject).finally(() =>
      signal.removeEventListener("abort", abort)
    );
  });
}

/** GCRA: books the next slot in the store, placed in the paced stream. */
async function book(
  s: LimiterState,
  signal: AbortSignal | undefined,
): Promise<Booking> {
  const booked = await reserve(s, s.clock.now(), signal);
  // Infinity would hold the head, and the queue behind it, forever.
  if (typeof booked !== "number" || !isFinite(booked)) {
    throw new TypeError(
      `Cannot acquire a slot as the store answered a time that is not a finite number: ${
        show(booked)
      }`,
    );
  }
  // "Now" is read again: a store that retried (a locked KV file) books at
  // its own, later time, and a slot due by then is no wait. Within
  // TOLERANCE_MS of now is now: a store's sums of intervals drift by
  // nanoseconds, which made the last slot of a fresh burst a paced one.
  const now = s.clock.now();
  const at = booked > now + TOLERANCE_MS ? booked : Math.min(booked, now);
  // A slot answered "now" while the stream is shifted is a late-booked paced
  // one, not a burst.
  if (at > now) s.shift ||= s.slackMs;
  else if (now - s.lastOut > s.intervalMs) s.shift = 0;
  // A store answers "now" for any slot already due: while pacing, the slot
  // is at least one interval after the last one.
  const slot = s.shift ? Math.max(at, s.lastSlot + s.intervalMs) : at;
  return { slot, at: slot + s.shift };
}

/** Lets `w` out with its due booking: a wave starts with it, unless one is under way. */
function letOut(s: LimiterState, w: Waiter, { slot }: Booking): () => void {
  s.lastOut = s.clock.now();
  s.lastSlot = slot;
  if (w.seq > s.waveLast) {
    s.waveLast = s.queue.tail!.seq;
    s.waveStart = s.lastOut;
  }
  s.inFlight++;
  let released = false;
  return function release(): void {
    if (released) return;
    released = true;
    s.inFlight--;
    wakeHead(s, s.queue.head);
  };
}

/**
 * Tells the head of the queue that something changed (it became the head,
 * a slot freed, a booking was handed over): starts a parked head's turn,
 * or ends a napping head's nap.
 */
function wakeHead(s: LimiterState, head: Waiter | undefined): void {
  const parked = head?.parked;
  if (!parked) return head?.wake?.();
  head!.parked = undefined;
  if (parked.abort) parked.signal!.removeEventListener("abort", parked.abort);
  // A microtask later: whoever woke it (the head that left) is not done yet.
  Promise.resolve()
    .then(() => takeTurn(s, head!, parked.signal))
    .then((release) => use(release, parked.fn))
    .then(parked.resolve, parked.reject);
}

/** Hands the slot to `fn` and releases it once `fn` settles; without `fn`, answers the release. */
async function use(
  release: () => void,
  fn: (() => Promise<unknown>) | undefined,
): Promise<unknown> {
  if (!fn) return release;
  try {
    return await fn();
  } finally {
    release();
  }
}

/**
 * Parks `w` until its turn: it holds its place in the queue and one
 * promise, no timer and no suspended function, so 100,000 callers queued by
 * one `Promise.all` stay well under 100 MB. An abort of `signal` takes it
 * out of the queue and rejects with `signal.reason`.
 */
function park(
  s: LimiterState,
  w: Waiter,
  signal: AbortSignal | undefined,
  fn: (() => Promise<unknown>) | undefined,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const abort = signal && (() => {
      w.parked = undefined;
      s.queue.leave(w);
      reject(signal.reason);
    });
    w.parked = { signal, fn, resolve, reject, abort };
    signal?.addEventListener("abort", abort!, { once: true });
  });
}

/**
 * {@linkcode Limiter.acquire} and {@linkcode Limiter.schedule}: joins the
 * queue, waits for the turn and takes it, then runs `fn` with the slot (or
 * answers the release, without `fn`).
 */
function enter(
  s: LimiterState,
  signal: AbortSignal | undefined,
  fn: (() => Promise<unknown>) | undefined,
): Promise<unknown> {
  try {
    requireSignal("acquire a slot", "signal", signal);
    signal?.throwIfAborted();
  } catch (error) {
    return Promise.reject(error);
  }
  const w = s.queue.enqueue();
  if (s.queue.head !== w && !s.ownTimers) return park(s, w, signal, fn);
  // No await for the head: it books (or starts its hold) in this tick.
  return takeTurn(s, w, signal).then((release) => use(release, fn));
}

/**
 * A caller's turn: book a slot, wait for it (and for any hold or free slot)
 * and go. On Workers it starts before the caller is the head, waiting for
 * the turn on timers of its own, as a request that only waits on another
 * request's promise is cancelled as hung there: it naps about one interval
 * per caller ahead, and no sooner than a hold ends; the turn usually comes
 * first, and wakes it.
 */
async function takeTurn(
  s: LimiterState,
  w: Waiter,
  signal: AbortSignal | undefined,
): Promise<() => void> {
  const { clock, queue, intervalMs } = s;
  let booking: Booking | undefined;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const now = clock.now();
      if (queue.head !== w) {
        const ahead = (w.seq - queue.head!.seq) * intervalMs;
        const held = s.penaltyUntil - now;
        await nap(clock, w, Math.max(intervalMs, ahead, held), signal);
      } else if (booking === undefined && s.handedOver !== undefined) {
        // A slot booked by a head that gave up before using it, taken while
        // it is not yet due. One left past its time is dropped: the store
        // counted it then, so sent now (after a rest, beside a fresh burst)
        // it would be one request more than the budget.
        if (s.handedOver >= now) {
          booking = { slot: s.handedOver - s.shift, at: s.handedOver };
        }
        s.handedOver = undefined;
      } else if (s.inFlight >= s.concurrency) {
        s.waveLast = -1;
        await nap(clock, w, Math.max(intervalMs, 50), signal);
      } else if (
        s.penaltyUntil > now &&
        (w.seq > s.waveLast || now - s.waveStart > WAVE_MS)
      ) {
        // Held after a 429. A slot booked before the hold would go out late,
        // outside the budget's accounting: dropped, and booked afresh after.
        booking = undefined;
        await sleepUntil(clock, s.penaltyUntil, signal);
      } else if (booking === undefined) {
        booking = await book(s, signal);
      } else if (booking.at > now) {
        s.waveLast = -1;
        await sleepUntil(clock, booking.at, signal);
      } else {
        const due = booking;
        booking = undefined;
        return letOut(s, w, due);
      }
    }
  } catch (error) {
    if (booking !== undefined) s.handedOver = booking.at;
    throw signal?.aborted ? signal.reason : error;
  } finally {
    s.queue.leave(w);
  }
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
 * console.log(times); // e.g. [0, 0, 15, 25]: slots at 10 and 20 ms, run slackMs (5 ms) behind
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
  const state = resolveLimiterOptions(options);
  return {
    acquire: (signal?: AbortSignal) =>
      enter(state, signal, undefined) as Promise<() => void>,
    schedule<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      try {
        requireFunction("schedule a request", "fn", fn);
      } catch (error) {
        return Promise.reject(error);
      }
      return enter(state, signal, fn) as Promise<T>;
    },
    penalize(ms: number): void {
      requirePositive("penalize the limiter", "ms", ms, true);
      state.penaltyUntil = Math.max(
        state.penaltyUntil,
        state.clock.now() + ms,
      );
    },
    get pending(): number {
      return state.queue.size;
    },
  };
}
