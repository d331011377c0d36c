import assert from "node:assert/strict";
import { memoryStore } from "../src/memory_store.ts";

Deno.test("memoryStore() books a burst, then one slot per interval", async () => {
  const store = memoryStore();
  const opts = { now: 0, intervalMs: 100, burst: 3 };
  const answers = [];
  for (let i = 0; i < 6; i++) answers.push(await store.reserve("app", opts));
  assert.deepEqual(answers, [0, 0, 0, 100, 200, 300]);
});

Deno.test("memoryStore() never answers a time before now, and refills while idle", async () => {
  const store = memoryStore();
  for (let i = 0; i < 3; i++) {
    await store.reserve("app", { now: 0, intervalMs: 100, burst: 3 });
  }
  // TAT is 300: at 250 there is room for two more at once, then 350.
  const at = (now: number) =>
    store.reserve("app", { now, intervalMs: 100, burst: 3 });
  assert.equal(await at(250), 250);
  assert.equal(await at(250), 250);
  assert.equal(await at(250), 300);
  // Long idle: the state is as good as new, never better.
  assert.equal(await at(10_000), 10_000);
  assert.equal(await at(10_000), 10_000);
  assert.equal(await at(10_000), 10_000);
  assert.equal(await at(10_000), 10_100);
});

Deno.test("memoryStore() keeps one budget per key", async () => {
  const store = memoryStore();
  const opts = { now: 0, intervalMs: 50, burst: 1 };
  assert.equal(await store.reserve("a", opts), 0);
  assert.equal(await store.reserve("a", opts), 50);
  assert.equal(await store.reserve("b", opts), 0);
  assert.equal(await memoryStore().reserve("a", opts), 0);
});

Deno.test("memoryStore() never exceeds burst + rate × window in any window", async () => {
  const store = memoryStore();
  const burst = 4;
  const intervalMs = 25;
  const times: number[] = [];
  let now = 0;
  for (let i = 0; i < 200; i++) {
    now += (i * 7919) % 40; // irregular arrivals
    times.push(await store.reserve("k", { now, intervalMs, burst }));
  }
  times.sort((a, b) => a - b);
  for (let i = 0; i < times.length; i++) {
    for (let j = i; j < times.length; j++) {
      const window = times[j]! - times[i]!;
      assert.ok(
        j - i + 1 <= burst + window / intervalMs + 1e-9,
        `${j - i + 1} in ${window} ms`,
      );
    }
  }
});

Deno.test("memoryStore() rejects bad arguments with TypeError/RangeError", async () => {
  const store = memoryStore();
  await assert.rejects(
    store.reserve(1 as never, { now: 0, intervalMs: 1, burst: 1 }),
    {
      name: "TypeError",
      message:
        "Cannot reserve a slot as 'key' must be a string: current value is 1",
    },
  );
  await assert.rejects(
    store.reserve("k", { now: NaN, intervalMs: 1, burst: 1 }),
    RangeError,
  );
  await assert.rejects(
    store.reserve("k", { now: 0, intervalMs: 0, burst: 1 }),
    {
      name: "RangeError",
      message:
        "Cannot reserve a slot as 'intervalMs' must be a positive finite number: current value is 0",
    },
  );
  await assert.rejects(
    store.reserve("k", { now: 0, intervalMs: 1, burst: 0.5 }),
    {
      name: "RangeError",
      message:
        "Cannot reserve a slot as 'burst' must be an integer >= 1: current value is 0.5",
    },
  );
});
