import assert from "node:assert/strict";
import { type KvAtomicLike, type KvLike, kvStore } from "../src/kv_store.ts";
import { createLimiter, type LimiterStore } from "../src/limiter.ts";
import type { Clock } from "../src/clock.ts";
import { createManualClock } from "../src/manual_clock.ts";

/** A clock whose pauses end at once, for the store's retry loop. */
const instantClock: Clock = { now: () => 0, sleep: () => Promise.resolve() };

async function withTempKv(
  fn: (kv: Deno.Kv, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "talkjs-kv-" });
  const kv = await Deno.openKv(`${dir}/limiter.kv`);
  try {
    await fn(kv, dir);
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("kvStore() books a burst, then one slot per interval, in a KV file", async () => {
  await withTempKv(async (kv) => {
    const store: LimiterStore = kvStore(kv);
    const opts = { now: 1_000, intervalMs: 100, burst: 3 };
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await store.reserve("app", opts));
    assert.deepEqual(answers, [1_000, 1_000, 1_000, 1_100, 1_200]);
    // State lives under the default prefix, one TAT per key.
    assert.equal(
      (await kv.get(["talkjs-rest", "limiter", "app"])).value,
      1_500,
    );
    assert.equal(await store.reserve("other", opts), 1_000);
    // A second store on the same database shares the budget.
    assert.equal(await kvStore(kv).reserve("app", opts), 1_300);
    // Never before now, and refilled after idling.
    assert.equal(await store.reserve("app", { ...opts, now: 1_550 }), 1_550);
    assert.equal(
      await store.reserve("app", { ...opts, now: 100_000 }),
      100_000,
    );
  });
});

Deno.test("kvStore() keeps state under the given prefix", async () => {
  await withTempKv(async (kv) => {
    const store = kvStore(kv, { prefix: ["mine", 1] });
    await store.reserve("k", { now: 0, intervalMs: 10, burst: 1 });
    assert.equal((await kv.get(["mine", 1, "k"])).value, 10);
    assert.equal(
      (await kv.get(["talkjs-rest", "limiter", "k"])).versionstamp,
      null,
    );
  });
});

/**
 * A KvLike over a Map whose commits fail as scripted: "conflict", "locked" or
 * an Error. With `lock`, a "locked" commit fails only after `lock.ms` on
 * `lock.clock`, as SQLite does after its busy timeout.
 */
function scriptedKv(
  script: ("conflict" | "locked" | Error)[],
  lock?: { clock: Clock; ms: number },
): KvLike & { commits: number } {
  const data = new Map<string, { value: unknown; versionstamp: string }>();
  let version = 0;
  const self = {
    commits: 0,
    get(key: readonly unknown[]) {
      const entry = data.get(JSON.stringify(key));
      return Promise.resolve(entry ?? { value: null, versionstamp: null });
    },
    atomic(): KvAtomicLike {
      let checkOk = true;
      let write: [string, unknown] | undefined;
      const op: KvAtomicLike = {
        check(...checks) {
          for (const c of checks) {
            const cur = data.get(JSON.stringify(c.key))?.versionstamp ?? null;
            if (cur !== c.versionstamp) checkOk = false;
          }
          return op;
        },
        set(key, value) {
          write = [JSON.stringify(key), value];
          return op;
        },
        commit() {
          self.commits++;
          const step = script.shift();
          if (step === "locked") {
            const locked = new TypeError("database is locked");
            return lock
              ? lock.clock.sleep(lock.ms).then(() => Promise.reject(locked))
              : Promise.reject(locked);
          }
          if (step instanceof Error) return Promise.reject(step);
          if (step === "conflict" || !checkOk) {
            return Promise.resolve({ ok: false });
          }
          if (write) {
            data.set(write[0], {
              value: write[1],
              versionstamp: String(++version),
            });
          }
          return Promise.resolve({ ok: true });
        },
      };
      return op;
    },
  };
  return self;
}

Deno.test("kvStore() retries failed checks and 'database is locked'", async () => {
  const kv = scriptedKv(["conflict", "locked", "conflict", "locked"]);
  const store = kvStore(kv, { clock: instantClock });
  const opts = { now: 0, intervalMs: 100, burst: 1 };
  assert.equal(await store.reserve("k", opts), 0);
  assert.equal(kv.commits, 5);
  assert.equal(await store.reserve("k", opts), 100);
  assert.equal(kv.commits, 6);
});

Deno.test("kvStore() books a retried reservation at the time of the retry, not of the call", async () => {
  // Budget: one request per 100 ms. A grant at 1,000; the next caller asks
  // at 1,050 and its commit waits 150 ms for a locked file. Booked at the
  // stale 1,050, its slot (1,100) was already past when it went out at about
  // 1,200, and the caller after it went 1 ms later.
  const clock = createManualClock(1_000);
  const script: "locked"[] = [];
  const kv = scriptedKv(script, { clock, ms: 150 });
  const limiter = createLimiter({
    store: kvStore(kv, { clock }),
    clock,
    burst: 1,
    perSecond: 10,
    slackMs: 0,
  });
  const granted: number[] = [];
  const grant = () =>
    limiter.schedule(() => Promise.resolve(void granted.push(clock.now())));
  await grant();
  await clock.advance(50);
  script.push("locked");
  const second = grant();
  await clock.runAll();
  await second;
  await clock.advance(1);
  const third = grant();
  await clock.runAll();
  await third;
  assert.equal(kv.commits, 4);
  assert.equal(granted[0], 1_000);
  // Booked when the retry committed: 1,200 plus the retry's pause (< 2 ms).
  assert.ok(granted[1]! >= 1_200 && granted[1]! < 1_202, `${granted[1]}`);
  assert.equal(granted[2], granted[1]! + 100);
});

Deno.test("createLimiter() sends a burst slot that a store booked late at once, not slackMs behind", async () => {
  // A slot answered after a lock retry is later than the caller's `now`,
  // but due when it comes: it is no paced slot to run slackMs (50 ms) behind.
  const clock = createManualClock(1_000);
  const kv = scriptedKv(["locked"], { clock, ms: 150 });
  const limiter = createLimiter({
    store: kvStore(kv, { clock }),
    clock,
    burst: 2,
    perSecond: 10,
  });
  let sent: number | undefined;
  const first = limiter.schedule(() =>
    Promise.resolve(void (sent = clock.now()))
  );
  await clock.runAll();
  await first;
  assert.ok(sent! >= 1_150 && sent! < 1_152, `sent at ${sent}`);
});

Deno.test("kvStore() throws other errors at once, and gives up after maxAttempts", async () => {
  const broken = new Error("disk on fire");
  const kv = scriptedKv([broken]);
  const store = kvStore(kv, { clock: instantClock });
  await assert.rejects(
    store.reserve("k", { now: 0, intervalMs: 1, burst: 1 }),
    (e) => e === broken,
  );
  assert.equal(kv.commits, 1);

  const locked = scriptedKv(["locked", "locked", "locked"]);
  await assert.rejects(
    kvStore(locked, { clock: instantClock, maxAttempts: 3 }).reserve("k", {
      now: 0,
      intervalMs: 1,
      burst: 1,
    }),
    { name: "TypeError", message: "database is locked" },
  );
  assert.equal(locked.commits, 3);

  const busy = scriptedKv(["conflict", "conflict"]);
  await assert.rejects(
    kvStore(busy, { clock: instantClock, maxAttempts: 2 }).reserve("k", {
      now: 0,
      intervalMs: 1,
      burst: 1,
    }),
    /other writers won 2 times in a row/,
  );
});

Deno.test("kvStore() validates its arguments", async () => {
  assert.throws(() => kvStore({} as never), {
    name: "TypeError",
    message:
      "Cannot create a KV store as 'kv' must be a Deno.Kv: current value is an object",
  });
  const kv = scriptedKv([]);
  assert.throws(
    () => kvStore(kv, { maxAttempts: 0 }),
    /'maxAttempts' must be an integer >= 1/,
  );
  assert.throws(
    () => kvStore(kv, { prefix: "x" as never }),
    /'prefix' must be an array/,
  );
  await assert.rejects(
    kvStore(kv).reserve("k", { now: 0, intervalMs: -1, burst: 1 }),
    RangeError,
  );
});

Deno.test("kvStore() shares one budget between two processes on one KV file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "talkjs-kv-" });
  try {
    const path = `${dir}/shared.kv`;
    // Create the file first so both workers open an existing database.
    (await Deno.openKv(path)).close();
    const worker = new URL("./fixtures/kv_worker.ts", import.meta.url).pathname;
    const count = 40;
    const burst = 5;
    const perSecond = 50;
    const startAt = Date.now() + 1_000;
    const run = () =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--unstable-kv",
          "--allow-read",
          "--allow-write",
          worker,
          path,
          String(count),
          String(burst),
          String(perSecond),
          String(startAt),
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const outputs = await Promise.all([run(), run()]);
    const results = outputs.map((o) => {
      assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
      return JSON.parse(new TextDecoder().decode(o.stdout)) as {
        times: number[];
        locked: number;
        conflicts: number;
      };
    });
    const [a, b] = results.map((r) => r.times) as [number[], number[]];
    assert.equal(a.length, count);
    assert.equal(b.length, count);
    // The two really ran at the same time.
    assert.ok(
      Math.min(...a) < Math.max(...b) && Math.min(...b) < Math.max(...a),
    );

    const times = [...a, ...b].sort((x, y) => x - y);
    // Scheduling lag (timers, KV round trips) can bring two grants closer
    // than their booked slots; allow that much, never a whole extra burst.
    const toleranceMs = 30;
    for (let i = 0; i < times.length; i++) {
      for (let j = i + 1; j < times.length; j++) {
        const window = times[j]! - times[i]!;
        const allowed = burst + (perSecond * (window + toleranceMs)) / 1000;
        assert.ok(
          j - i + 1 <= allowed,
          `${j - i + 1} grants in ${window} ms (allowed ${allowed.toFixed(2)})`,
        );
      }
    }
    // Alone, each process would be done in (40 − 5) / 50 s = 700 ms; sharing
    // the budget, all 80 take (80 − 5) / 50 s = 1500 ms.
    const span = times.at(-1)! - times[0]!;
    assert.ok(span >= 1_500 - toleranceMs, `span ${span} ms`);
    console.log(
      `span ${span} ms; conflicts ${results.map((r) => r.conflicts)}; locked ${
        results.map((r) => r.locked)
      }`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
