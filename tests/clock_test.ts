// src/clock.ts: systemClock. Its sleeps are checked on timers this file
// stands in for (setTimeout and clearTimeout, fired by hand), so nothing here
// waits in real time; one test runs a real 0 ms timer.
import assert from "node:assert/strict";
import { systemClock } from "../src/clock.ts";
import { watchListeners } from "./_listeners.ts";

const MAX_TIMEOUT = 2 ** 31 - 1;

interface Timer {
  ms: number;
  fire: () => void;
}

/** Stands in for setTimeout and clearTimeout until disposed; timers fire only through `fire()`. */
function handTimers() {
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  const armed = new Map<number, Timer>();
  let nextId = 1;
  globalThis.setTimeout = ((handler: () => void, ms?: number) => {
    const id = nextId++;
    armed.set(id, { ms: ms ?? 0, fire: handler });
    return id;
  }) as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((id?: number) => {
    if (id !== undefined) armed.delete(id);
  }) as unknown as typeof clearTimeout;
  return {
    /** The delays of the timers armed and neither fired nor cleared. */
    delays: (): number[] => [...armed.values()].map((t) => t.ms),
    /** Fires the one armed timer. */
    fire(): void {
      assert.equal(armed.size, 1, "one timer armed");
      const [id, timer] = [...armed][0]!;
      armed.delete(id);
      timer.fire();
    },
    [Symbol.dispose](): void {
      globalThis.setTimeout = realSetTimeout;
      globalThis.clearTimeout = realClearTimeout;
    },
  };
}

/** Whether `promise` has settled, after the microtasks it is waiting on have run. */
async function state(promise: Promise<unknown>): Promise<string> {
  let outcome = "pending";
  promise.then(() => outcome = "resolved", () => outcome = "rejected");
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return outcome;
}

Deno.test("systemClock.now() is Date.now()", () => {
  const before = Date.now();
  const now = systemClock.now();
  const after = Date.now();
  assert.ok(before <= now && now <= after, `${before} ${now} ${after}`);
});

Deno.test("systemClock.sleep(ms) arms one timer of ms and resolves when it fires", async () => {
  using timers = handTimers();
  const sleeping = systemClock.sleep(250);
  assert.deepEqual(timers.delays(), [250]);
  assert.equal(await state(sleeping), "pending");
  timers.fire();
  assert.equal(await state(sleeping), "resolved");
  assert.deepEqual(timers.delays(), []);
});

Deno.test("systemClock.sleep() of a negative time waits 0 ms", async () => {
  using timers = handTimers();
  const sleeping = systemClock.sleep(-5);
  assert.deepEqual(timers.delays(), [0]);
  timers.fire();
  assert.equal(await state(sleeping), "resolved");
});

Deno.test("systemClock.sleep() beyond 2^31-1 ms waits in steps setTimeout can take, instead of firing at once", async () => {
  using timers = handTimers();
  const ms = 2 * MAX_TIMEOUT + 5;
  const sleeping = systemClock.sleep(ms);
  assert.deepEqual(timers.delays(), [MAX_TIMEOUT]);
  timers.fire();
  assert.deepEqual(timers.delays(), [MAX_TIMEOUT]);
  assert.equal(await state(sleeping), "pending");
  timers.fire();
  assert.deepEqual(timers.delays(), [5]);
  assert.equal(await state(sleeping), "pending");
  timers.fire();
  assert.equal(await state(sleeping), "resolved");
});

Deno.test("systemClock.sleep(Infinity) arms no timer and ends only when its signal aborts", async () => {
  using timers = handTimers();
  const controller = new AbortController();
  const sleeping = systemClock.sleep(Infinity, controller.signal);
  assert.deepEqual(timers.delays(), []);
  assert.equal(await state(sleeping), "pending");
  const reason = new Error("enough");
  controller.abort(reason);
  await assert.rejects(sleeping, (e) => e === reason);
});

Deno.test("systemClock.sleep() rejects with signal.reason at once when the signal has already aborted, arming nothing", async () => {
  using timers = handTimers();
  const reason = new Error("too late");
  await assert.rejects(
    systemClock.sleep(10, AbortSignal.abort(reason)),
    (e) => e === reason,
  );
  assert.deepEqual(timers.delays(), []);
});

Deno.test("systemClock.sleep() aborted mid-wait rejects with signal.reason and clears its timer", async () => {
  using timers = handTimers();
  const controller = new AbortController();
  const sleeping = systemClock.sleep(MAX_TIMEOUT + 10, controller.signal);
  timers.fire(); // the first step of a long sleep: the second is armed
  assert.deepEqual(timers.delays(), [10]);
  const reason = new DOMException("stop", "AbortError");
  controller.abort(reason);
  await assert.rejects(sleeping, (e) => e === reason);
  assert.deepEqual(timers.delays(), [], "the step armed was cleared");
});

Deno.test("systemClock.sleep() lets go of its signal once it resolved", async () => {
  using timers = handTimers();
  const { signal } = new AbortController();
  const listening = watchListeners(signal);
  const sleeping = systemClock.sleep(MAX_TIMEOUT + 1, signal);
  assert.equal(listening.size, 1);
  timers.fire();
  assert.equal(listening.size, 1, "still listening between two steps");
  timers.fire();
  await sleeping;
  assert.equal(listening.size, 0, "a long-lived signal keeps no listener");
});

Deno.test("systemClock.sleep(0) on real timers resolves and leaves no timer behind", async () => {
  await systemClock.sleep(0);
  await systemClock.sleep(0, new AbortController().signal);
});
