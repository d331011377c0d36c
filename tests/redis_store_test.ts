/**
 * redisStore() against a real Redis server (see tests/_redis.ts for where it
 * comes from). Slots are on Redis's clock, which no test can move: these
 * tests run in real time, each bounded.
 *
 * @module
 */
import assert from "node:assert/strict";
import { redisStore } from "../src/redis_store.ts";
import { createLimiter } from "../src/limiter.ts";
import { createClient } from "../src/client.ts";
import { createEmulator } from "../src/emulator/emulator.ts";
import { createManualClock } from "../src/manual_clock.ts";
import {
  bundleWorker,
  ioredisClient,
  nodeRedisClient,
  redisTest,
  runWorkers,
  startRedis,
  useRedis,
  worstWindow,
} from "./_redis.ts";

/** A prefix no other test (or run, on a shared server) uses. */
const freshPrefix = () => `talkjs-rest-test:${crypto.randomUUID()}:`;

/** Rejects with `message` if `promise` has not settled within `ms`. */
async function within<T>(
  promise: Promise<T>,
  ms: number,
  message: string,
): Promise<T> {
  let id: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        id = setTimeout(
          () => reject(new Error(`${message}: not settled in ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(id);
  }
}

redisTest(
  "redisStore() books a burst, then one slot per interval, on Redis's clock",
  async () => {
    const server = await useRedis();
    const io = await ioredisClient(server.port);
    try {
      const prefix = freshPrefix();
      // The caller's clock does not move: what the store adds to `now` is the
      // wait Redis answered.
      const store = redisStore(io.client, {
        prefix,
        clock: createManualClock(),
      });
      const slot = { now: 5_000, intervalMs: 100, burst: 3 };
      const answers = [];
      // Redis's clock runs on between the calls, by at most this much.
      const started = Date.now();
      const drift = () => Date.now() - started + 2;
      for (let i = 0; i < 5; i++) {
        answers.push(await store.reserve("app", slot));
      }
      assert.deepEqual(answers.slice(0, 3), [5_000, 5_000, 5_000]);
      // Slots 100 ms apart, each answered as a wait from Redis's now.
      for (const [i, at] of answers.slice(3).entries()) {
        const expected = 5_000 + 100 * (i + 1);
        assert.ok(
          at <= expected && at > expected - drift(),
          `slot ${i + 3} at ${at}, expected just under ${expected}`,
        );
      }
      // A caller whose clock reads hours apart shares the same budget: its
      // answer is on its own clock.
      const skewed = await store.reserve("app", { ...slot, now: 9e9 });
      assert.ok(
        skewed <= 9e9 + 300 && skewed > 9e9 + 300 - drift(),
        `skewed caller at ${skewed - 9e9} ms`,
      );
      // Another key has its own budget.
      assert.equal(await store.reserve("other", slot), 5_000);
      // State: one theoretical arrival time per key, in ms on Redis's clock.
      const [seconds, micros] = await io.redis.time();
      const tat = Number(await io.redis.get(`${prefix}app`));
      const redisNow = Number(seconds) * 1000 + Number(micros) / 1000;
      // Six slots booked from a burst of 3, 100 ms apart: the last ends 300
      // ms after the first three, which ended 300 ms after the first call.
      assert.ok(
        tat > redisNow + 600 - drift() && tat <= redisNow + 600,
        `TAT ${tat - redisNow} ms after Redis's now`,
      );
    } finally {
      await io.close();
      await server.stop();
    }
  },
);

redisTest("redisStore() keys expire once their slots have passed", async () => {
  const server = await useRedis();
  const io = await ioredisClient(server.port);
  try {
    const prefix = freshPrefix();
    const store = redisStore(io.client, { prefix });
    const slot = { now: 0, intervalMs: 100, burst: 1 };
    let started = Date.now();
    for (let i = 0; i < 10; i++) await store.reserve("app", slot);
    // Ten slots booked: the key matters for a second from the first, no longer.
    const ttl = await io.redis.pttl(`${prefix}app`);
    assert.ok(
      ttl > 1_000 - (Date.now() - started + 2) && ttl <= 1_000,
      `PTTL ${ttl}`,
    );

    started = Date.now();
    await store.reserve("brief", { now: 0, intervalMs: 200, burst: 1 });
    const brief = await io.redis.pttl(`${prefix}brief`);
    assert.ok(
      brief > 0 ? brief <= 200 : Date.now() - started >= 200,
      `PTTL ${brief}`,
    );
    const deadline = Date.now() + 2_000;
    while (await io.redis.exists(`${prefix}brief`)) {
      assert.ok(Date.now() < deadline, "the idle key did not expire in 2 s");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Gone means rested: the next call is at once.
    assert.equal(
      await store.reserve("brief", { now: 7, intervalMs: 200, burst: 1 }),
      7,
    );
  } finally {
    await io.close();
    await server.stop();
  }
});

redisTest(
  "redisStore() shares one budget between two limiters on two connections (ioredis and node-redis)",
  async () => {
    const server = await useRedis();
    const io = await ioredisClient(server.port);
    const nr = await nodeRedisClient(server.port);
    try {
      const prefix = freshPrefix();
      const burst = 10;
      const perSecond = 20;
      const limiters = [io.client, nr.client].map((client) =>
        createLimiter({
          store: redisStore(client, { prefix }),
          key: "shared",
          burst,
          perSecond,
        })
      );
      const each = 15;
      const times = await within(
        Promise.all(
          limiters.flatMap((limiter) =>
            Array.from({ length: each }, async () => {
              const release = await limiter.acquire();
              release();
              return Date.now();
            })
          ),
        ),
        10_000,
        "30 acquisitions",
      );
      times.sort((a, b) => a - b);
      const span = times.at(-1)! - times[0]!;
      // The burst, at once (paced, the 10th would come 450 ms after the
      // first)...
      assert.ok(times[burst - 1]! - times[0]! < 200, `burst took ${times}`);
      // ...once for both together, then perSecond for both together: 20 more
      // take 1000 ms (a budget each would be done in 250 ms; no burst, 1450).
      assert.ok(span >= 1_000 - 30 && span < 1_400, `span ${span} ms`);
      // Scheduling lag can bring two grants closer than their slots: allow
      // 30 ms of it, never a whole extra grant.
      const worst = worstWindow(times, burst, perSecond, 30);
      assert.equal(
        worst.excess,
        0,
        `${worst.count} grants in ${worst.windowMs} ms`,
      );
    } finally {
      await io.close();
      await nr.close();
      await server.stop();
    }
  },
);

redisTest(
  "redisStore() keeps several Node processes, each with its own connection, within one budget",
  async () => {
    const server = await useRedis();
    const dir = await Deno.makeTempDir({ prefix: "talkjs-redis-" });
    try {
      const bundle = await bundleWorker(dir);
      const processes = 3;
      const count = 20;
      const burst = 5;
      const perSecond = 40;
      const prefix = freshPrefix();
      // Node takes a while to start: all begin at the same moment.
      const startAt = Date.now() + 2_500;
      const results = await runWorkers(
        bundle,
        Array.from(
          { length: processes },
          () => ({
            port: server.port,
            prefix,
            count,
            burst,
            perSecond,
            startAt,
          }),
        ),
        20_000,
      );
      for (const r of results) assert.equal(r.times.length, count);
      // They really ran at the same time.
      const firsts = results.map((r) => Math.min(...r.times));
      const lasts = results.map((r) => Math.max(...r.times));
      assert.ok(Math.max(...firsts) < Math.min(...lasts), "overlapping runs");

      const times = results.flatMap((r) => r.times).sort((a, b) => a - b);
      // Grants are read after the fact in each process (timers, the event
      // loop): allow 30 ms of that, never a whole extra request.
      const worst = worstWindow(times, burst, perSecond, 30);
      assert.equal(
        worst.excess,
        0,
        `${worst.count} grants in ${worst.windowMs} ms`,
      );
      // Alone, each would be done in (20 − 5) / 40 s; sharing, all 60 take
      // (60 − 5) / 40 s = 1375 ms.
      const span = times.at(-1)! - times[0]!;
      assert.ok(span >= 1_375 - 30, `span ${span} ms`);
      assert.ok(
        span < 1_375 + 1_500,
        `span ${span} ms: the budget went unused`,
      );
      console.log(
        `${processes} processes, ${times.length} grants in ${span} ms`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
      await server.stop();
    }
  },
);

redisTest(
  "redisStore() fails calls fast and clearly when Redis stops mid-run, sends nothing, and recovers",
  async () => {
    let server = await startRedis();
    const io = await ioredisClient(server.port);
    try {
      const timeoutMs = 500;
      const emu = createEmulator({ rateLimit: false });
      const limiter = createLimiter({
        store: redisStore(io.client, { prefix: freshPrefix(), timeoutMs }),
        burst: 100,
        perSecond: 100,
      });
      const talk = createClient({
        appId: emu.appId,
        secretKey: emu.secretKey,
        baseUrl: emu.baseUrl,
        fetch: emu.fetch,
        limiter,
      });
      for (let i = 0; i < 3; i++) await talk.users.list({ limit: 1 });
      assert.equal(emu.stats.requests, 3);
      await server.stop();

      // A queue of calls: the first waits out the timeout, the others fail at
      // once behind it, rather than one timeout each; none is sent.
      const started = Date.now();
      const outcomes = await within(
        Promise.allSettled(
          Array.from({ length: 5 }, () => talk.users.list({ limit: 1 })),
        ),
        timeoutMs * 5 + 2_000,
        "calls with Redis stopped",
      );
      const elapsed = Date.now() - started;
      for (const outcome of outcomes) {
        assert.equal(outcome.status, "rejected");
        assert.match(
          String((outcome as PromiseRejectedResult).reason),
          /^Error: Cannot reserve a slot in Redis/,
        );
      }
      assert.ok(elapsed < timeoutMs + 1_500, `took ${elapsed} ms`);
      assert.equal(limiter.pending, 0);
      assert.equal(emu.stats.requests, 3);

      // Back on the same port: ioredis reconnects and calls go out again.
      server = await startRedis(server.port);
      await within(io.redis.ping(), 5_000, "ioredis reconnecting");
      await within(
        talk.users.list({ limit: 1 }),
        2_000,
        "a call after Redis is back",
      );
      assert.equal(emu.stats.requests, 4);
    } finally {
      await io.close();
      await server.stop();
    }
  },
  { ownServer: true },
);

redisTest(
  "redisStore() times out on a paused Redis, fails at once behind it, and serves again once it answers",
  async () => {
    const server = await useRedis();
    const io = await ioredisClient(server.port);
    const admin = await ioredisClient(server.port);
    try {
      const clock = createManualClock();
      const store = redisStore(io.client, {
        prefix: freshPrefix(),
        timeoutMs: 500,
        clock,
      });
      const slot = { now: 0, intervalMs: 10, burst: 1 };
      await store.reserve("app", slot);
      // Every client but this one waits for 1.5 s of real time.
      await admin.redis.call("CLIENT", "PAUSE", "1500", "ALL");
      const paused = store.reserve("app", slot);
      const settled = paused.catch((e: Error) => e);
      await clock.advance(500);
      assert.equal(
        String(await settled),
        'Error: Cannot reserve a slot in Redis as it did not answer within 500 ms: key "app"',
      );
      await clock.advance(100);
      await assert.rejects(store.reserve("app", slot), {
        message:
          'Cannot reserve a slot in Redis as it did not answer another call within 500 ms (100 ms ago): key "app"',
      });
      // The PING queues behind the stuck call on the same connection.
      await within(io.redis.ping(), 5_000, "the pause ending");
      assert.equal(typeof await store.reserve("app", slot), "number");
    } finally {
      await admin.close();
      await io.close();
      await server.stop();
    }
  },
);

redisTest(
  "redisStore() wraps what the client rejects with, and refuses an answer that is not a wait",
  async () => {
    const server = await useRedis();
    const io = await ioredisClient(server.port);
    try {
      const slot = { now: 0, intervalMs: 10, burst: 1 };
      // An adapter that forgets the keys: Redis refuses the script's call.
      const noKeys = redisStore({
        eval: (script, _keys, args) => io.redis.eval(script, 0, ...args),
      });
      const error = await noKeys.reserve("app", slot).catch((e) => e);
      assert.match(
        error.message,
        /^Cannot reserve a slot in Redis: .*: key "app"$/,
      );
      assert.ok(error.cause instanceof Error);
      // An adapter that answers something else.
      const wrong = redisStore({
        eval: (script, keys, args) =>
          io.redis.eval(script, keys.length, ...keys, ...args).then(() => "OK"),
      });
      await assert.rejects(wrong.reserve("app", slot), {
        name: "TypeError",
        message:
          'Cannot reserve a slot in Redis as the script answered "OK", not a wait in microseconds: key "app" (does client.eval pass the keys and the arguments through?)',
      });
    } finally {
      await io.close();
      await server.stop();
    }
  },
);

Deno.test("redisStore() validates its arguments before calling Redis", async () => {
  let calls = 0;
  const client = {
    eval: () => {
      calls++;
      return Promise.resolve(0);
    },
  };
  assert.throws(() => redisStore({} as never), {
    name: "TypeError",
    message:
      "Cannot create a Redis store as 'client' must be a Redis client with eval(script, keys, args): current value is an object",
  });
  assert.throws(
    () => redisStore(client, { prefix: 1 as never }),
    /'prefix' must be a string: current value is 1/,
  );
  for (const timeoutMs of [0, -1, NaN]) {
    assert.throws(() => redisStore(client, { timeoutMs }), {
      name: "RangeError",
      message: new RegExp(`'timeoutMs' must be a positive number`),
    });
  }
  assert.throws(
    () => redisStore(client, { clock: {} as never }),
    /'clock' must be a Clock/,
  );
  const store = redisStore(client);
  await assert.rejects(
    store.reserve("k", { now: 0, intervalMs: -1, burst: 1 }),
    RangeError,
  );
  await assert.rejects(
    store.reserve(1 as never, { now: 0, intervalMs: 1, burst: 1 }),
    TypeError,
  );
  assert.equal(calls, 0);
  assert.equal(
    await store.reserve("k", { now: 3, intervalMs: 1, burst: 1 }),
    3,
  );
  assert.equal(calls, 1);
});
