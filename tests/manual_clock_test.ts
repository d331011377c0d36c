// src/manual_clock.ts: createManualClock(), the clock every unit test runs on.
import assert from "node:assert/strict";
import { createManualClock } from "../src/manual_clock.ts";
import { watchListeners } from "./_listeners.ts";

/** Sleeps `ms` on `clock` and records `[label, clock.now()]` in `log` on waking. */
function sleeper(
  clock: ReturnType<typeof createManualClock>,
  log: [string, number][],
  label: string,
  ms: number,
): Promise<void> {
  return clock.sleep(ms).then(() => void log.push([label, clock.now()]));
}

Deno.test("createManualClock() starts at its start (0 by default) and stands still until advanced", async () => {
  assert.equal(createManualClock().now(), 0);
  const clock = createManualClock(1_700_000_000_000);
  assert.equal(clock.now(), 1_700_000_000_000);
  await Promise.resolve();
  assert.equal(clock.now(), 1_700_000_000_000);
  await clock.advance(250);
  assert.equal(clock.now(), 1_700_000_000_250);
  await clock.advance(0);
  assert.equal(clock.now(), 1_700_000_000_250);
});

Deno.test("advance() wakes sleepers in time order, ties in the order they slept, each at its own due time", async () => {
  const clock = createManualClock(1_000);
  const log: [string, number][] = [];
  sleeper(clock, log, "a", 30);
  sleeper(clock, log, "b", 10);
  sleeper(clock, log, "c", 10);
  sleeper(clock, log, "d", 20);
  assert.equal(clock.pending, 4);
  await clock.advance(100);
  assert.deepEqual(log, [
    ["b", 1_010],
    ["c", 1_010],
    ["d", 1_020],
    ["a", 1_030],
  ]);
  assert.equal(clock.now(), 1_100);
  assert.equal(clock.pending, 0);
});

Deno.test("advance() drives code that sleeps again in a loop through every step within the window", async () => {
  const clock = createManualClock();
  const woke: number[] = [];
  const loop = (async () => {
    for (let i = 0; i < 5; i++) {
      await clock.sleep(10);
      woke.push(clock.now());
    }
  })();
  await clock.advance(35);
  assert.deepEqual(woke, [10, 20, 30]);
  assert.equal(clock.pending, 1, "the fourth sleep waits for 40");
  await clock.advance(15);
  await loop;
  assert.deepEqual(woke, [10, 20, 30, 40, 50]);
});

Deno.test("advance() leaves a sleeper due after the target asleep, and wakes it exactly at its due time later", async () => {
  const clock = createManualClock();
  const log: [string, number][] = [];
  sleeper(clock, log, "late", 1_000);
  await clock.advance(999);
  assert.deepEqual(log, []);
  assert.equal(clock.now(), 999);
  assert.equal(clock.pending, 1);
  await clock.advance(1);
  assert.deepEqual(log, [["late", 1_000]]);
});

Deno.test("sleep() of 0 or a negative time is due now: advance(0) wakes it", async () => {
  const clock = createManualClock(50);
  const log: [string, number][] = [];
  sleeper(clock, log, "zero", 0);
  sleeper(clock, log, "negative", -20);
  assert.equal(clock.pending, 2);
  await clock.advance(0);
  assert.deepEqual(log, [["zero", 50], ["negative", 50]]);
});

Deno.test("sleep() rejects with signal.reason when aborted, and no longer counts as pending", async () => {
  const clock = createManualClock();
  const controller = new AbortController();
  const log: [string, number][] = [];
  const aborted = clock.sleep(100, controller.signal);
  sleeper(clock, log, "other", 100);
  assert.equal(clock.pending, 2);
  const reason = new Error("caller gave up");
  controller.abort(reason);
  await assert.rejects(aborted, (e) => e === reason);
  assert.equal(clock.pending, 1);
  await clock.advance(100);
  assert.deepEqual(log, [["other", 100]], "the other sleeper is untouched");
});

Deno.test("sleep() with an already aborted signal rejects at once and never sleeps", async () => {
  const clock = createManualClock();
  const reason = new Error("already gone");
  await assert.rejects(
    clock.sleep(10, AbortSignal.abort(reason)),
    (e) => e === reason,
  );
  assert.equal(clock.pending, 0);
});

Deno.test("sleep() lets go of its signal once it woke", async () => {
  const clock = createManualClock();
  const { signal } = new AbortController();
  const listening = watchListeners(signal);
  const sleeping = clock.sleep(10, signal);
  assert.equal(listening.size, 1);
  await clock.advance(10);
  await sleeping;
  assert.equal(listening.size, 0, "a long-lived signal keeps no listener");
});

Deno.test("runAll() advances until no sleeper is left, following sleeps that start along the way", async () => {
  const clock = createManualClock();
  const woke: number[] = [];
  (async () => {
    for (const ms of [100, 2_000, 30_000]) {
      await clock.sleep(ms);
      woke.push(clock.now());
    }
  })();
  await clock.runAll();
  assert.deepEqual(woke, [100, 2_100, 32_100]);
  assert.equal(clock.pending, 0);
  assert.equal(clock.now(), 32_100, "stops at the last wake-up");
});

Deno.test("runAll() stops at limitMs (1 hour by default), leaving later sleepers asleep", async () => {
  const clock = createManualClock();
  const log: [string, number][] = [];
  sleeper(clock, log, "hour", 3_600_000);
  sleeper(clock, log, "day", 86_400_000);
  await clock.runAll();
  assert.deepEqual(log, [["hour", 3_600_000]]);
  assert.equal(clock.pending, 1);
  await clock.runAll(86_400_000);
  assert.deepEqual(log, [["hour", 3_600_000], ["day", 86_400_000]]);
});

Deno.test("createManualClock() and advance() refuse a time that is not a finite number, naming it", async () => {
  for (const start of [NaN, Infinity, -Infinity]) {
    assert.throws(() => createManualClock(start), {
      name: "RangeError",
      message:
        `Cannot create a manual clock as 'start' must be a finite number: current value is ${start}`,
    });
  }
  const clock = createManualClock();
  for (const ms of [-1, NaN, Infinity]) {
    await assert.rejects(clock.advance(ms), {
      name: "RangeError",
      message:
        `Cannot advance the clock as 'ms' must be a finite number >= 0: current value is ${ms}`,
    });
  }
  assert.equal(clock.now(), 0);
});
