/**
 * One rate-limit budget for every isolate of a Worker: a Durable Object that
 * books the limiter's slots, and a `LimiterStore` that asks it.
 *
 * Each Worker isolate has its own memory, so `memoryStore()` would give each
 * one TalkJS's whole budget. Durable Objects run single-threaded, one
 * instance per ID worldwide: one object per budget key (the app ID) books
 * every slot, so all isolates share 9 requests/s. The local limiter still
 * queues callers in order; only the head of its queue asks the object, once
 * per request sent.
 *
 * The types below are the few members of Cloudflare's `DurableObjectState`
 * and `DurableObjectNamespace` this file uses, written out so that Deno
 * type-checks the example without `@cloudflare/workers-types`; the real
 * objects fit them.
 *
 * @module
 */
import type { LimiterStore, ReserveOptions } from "../../../mod.ts";

/** The part of Cloudflare's `DurableObjectStorage` that {@linkcode TalkJsLimiter} uses. */
export interface DurableObjectStorageLike {
  /** Reads a value. */
  get(key: string): Promise<unknown>;
  /** Writes a value; a response waits until it is stored (the output gate). */
  put(key: string, value: unknown): Promise<void>;
}

/** The part of Cloudflare's `DurableObjectState` that {@linkcode TalkJsLimiter} uses. */
export interface DurableObjectStateLike {
  /** The object's transactional storage. */
  storage: DurableObjectStorageLike;
}

/** The part of Cloudflare's `DurableObjectNamespace` that {@linkcode durableObjectStore} uses. */
export interface DurableObjectNamespaceLike {
  /** The ID of the object named `name`, the same in every isolate. */
  idFromName(name: string): unknown;
  /** A stub that sends requests to the object. */
  // deno-lint-ignore no-explicit-any
  get(id: any): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

/**
 * The Durable Object: books one slot per request with GCRA, keeping one
 * "theoretical arrival time" in storage. The object receives the caller's
 * time and answers on the caller's clock, like `memoryStore()` and
 * `kvStore()`.
 */
export class TalkJsLimiter {
  #storage: DurableObjectStorageLike;

  /** Called by the runtime. */
  constructor(state: DurableObjectStateLike) {
    this.#storage = state.storage;
  }

  /** `POST { now, intervalMs, burst }` → `{ at }`: when the booked request may go out. */
  async fetch(request: Request): Promise<Response> {
    const { now, intervalMs, burst } = await request.json() as Partial<
      ReserveOptions
    >;
    if (
      !Number.isFinite(now) || !(Number(intervalMs) > 0) ||
      !Number.isInteger(burst) ||
      Number(burst) < 1
    ) {
      return Response.json({
        error: "expected { now, intervalMs > 0, burst >= 1 }",
      }, {
        status: 400,
      });
    }
    const slot = { now: now!, intervalMs: intervalMs!, burst: burst! };
    // No other request reaches the object between this read and the write
    // (the input gate), so each booking is atomic.
    const stored = await this.#storage.get("tat");
    const tat = Math.max(
      typeof stored === "number" ? stored : slot.now,
      slot.now,
    );
    await this.#storage.put("tat", tat + slot.intervalMs);
    return Response.json({
      at: Math.max(slot.now, tat - (slot.burst - 1) * slot.intervalMs),
    });
  }
}

/**
 * A `LimiterStore` whose bookings are made by the {@linkcode TalkJsLimiter}
 * object named after the limiter's key.
 *
 * @param namespace The Durable Object binding, e.g. `env.LIMITER`.
 * @returns A store for `createLimiter({ store })`.
 */
export function durableObjectStore(
  namespace: DurableObjectNamespaceLike,
): LimiterStore {
  return {
    async reserve(key: string, options: ReserveOptions): Promise<number> {
      // A stub is made per call: on Workers, I/O objects belong to the
      // request that created them, and the limiter serves many requests.
      const stub = namespace.get(namespace.idFromName(key));
      const response = await stub.fetch("https://talkjs-limiter/reserve", {
        method: "POST",
        body: JSON.stringify(options),
      });
      if (!response.ok) {
        throw new Error(
          `Cannot reserve a slot as the limiter object answered ${response.status}: ${await response
            .text()}`,
        );
      }
      const { at } = await response.json() as { at: number };
      return at;
    },
  };
}
