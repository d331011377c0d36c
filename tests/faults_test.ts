// The fault suite: under the failures a production backend meets, the client
// loses nothing, sends nothing twice and leaks nothing. Seeded (SEED, or
// FAULT_SEED=<n> to replay another plan). FAULT_TABLE=1 prints, once every
// test has run, the table that README.md's "Reliability" section reports.
import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import { createClient, type TalkJsClient } from "../src/client.ts";
import { TalkJsTimeoutError } from "../src/errors.ts";
import { createLimiter } from "../src/limiter.ts";
import { listAll } from "../src/list_all.ts";
import type { RetryOptions } from "../src/retry.ts";
import { createEmulator, createManualClock } from "../testing.ts";
import { mulberry32 } from "./_random.ts";
import { APP, type Plan, SECRET, SEED } from "./_fault_plan.ts";
import { type Figures, formatTable } from "./_fault_harness.ts";
import {
  scenarioConcurrentPuts,
  scenarioImport,
  scenarioImportCut,
  scenarioListAll,
  scenarioRateLimitStorm,
  scenarioSends,
  scenarioStorm,
} from "./_fault_scenarios.ts";
import { emulatorTransport } from "./_fault_transports.ts";
import { createSink, findLeaks, type Sink } from "./_sink.ts";
import { startStallingServer } from "./_stalling_server.ts";
import { until } from "./_until.ts";

/** What the running test produced, for the grep that ends it (see test()). */
let sink: Sink = createSink();
/** Every scenario's figures, for the table FAULT_TABLE=1 prints at the end. */
const rows: Figures[] = [];

if (Deno.env.get("FAULT_TABLE")) {
  globalThis.addEventListener("unload", () => {
    console.log(`\nFault suite, seed ${SEED}:\n${formatTable(rows)}\n`);
  });
}

/**
 * Deno.test with a fresh sink, then the grep: no secret key or token in any
 * error, log or info the test produced, nor in its figures. Each test stands
 * alone, so any one of them runs under --filter.
 */
function test(name: string, fn: () => Promise<void>): void {
  Deno.test(name, async () => {
    sink = createSink();
    const before = rows.length;
    await fn();
    assert.deepEqual(
      findLeaks(sink, [SECRET], [JSON.stringify(rows.slice(before))]),
      [],
    );
  });
}

function record(row: Figures): void {
  rows.push(row);
  assert.equal(row.lost, 0, row.scenario);
  assert.equal(row.duplicates, 0, row.scenario);
  assert.ok(sink.tokens.size > 0, "tokens were collected to search for");
}

// ---------------------------------------------------------------- exactly once

for (const transport of ["emulator", "loopback"] as const) {
  test(`listAll() of 5,000 users under faults (${transport}) lists each stored user once`, async () => {
    record(await scenarioListAll({ transport, sink }));
  });

  test(`users.put() x300 concurrent under faults (${transport}) stores each user once`, async () => {
    record(await scenarioConcurrentPuts({ transport, sink }));
  });

  test(`messages.send() x200 under faults (${transport}) stores each message once`, async () => {
    record(await scenarioSends({ transport, sink }));
  });

  test(`messages.import() of 2,000 under faults before work (${transport}) stores each message once`, async () => {
    record(await scenarioImport({ transport, sink }));
  });
}

test("messages.import() with cut answers fails on the cut chunk, unretried; resuming stores each message once", async () => {
  const row = await scenarioImportCut({ transport: "emulator", sink });
  assert.equal(row.failures.length, 3);
  record(row);
});

test("request() after a 429 storm with and without Retry-After: nothing lost, no lingering penalty (loopback)", async () => {
  record(await scenarioStorm({ transport: "loopback", sink }));
});

test("request() against the emulator's own rate limit: every 429 retried once, nothing lost", async () => {
  record(await scenarioRateLimitStorm({ transport: "emulator", sink }));
});

// ---------------------------------------------------------------- stalls

/**
 * A client and an emulator on one manual clock, every request held for an
 * hour: each attempt ends at its timeout.
 */
function stalled(retry: RetryOptions) {
  const clock = createManualClock(1_700_000_000_000);
  const emu = createEmulator({
    appId: APP,
    secretKey: SECRET,
    rateLimit: false,
    clock,
  });
  const talk = createClient({
    appId: APP,
    secretKey: SECRET,
    baseUrl: emu.baseUrl,
    fetch: emu.fetch,
    clock,
    timeoutMs: 1_000,
    retry,
  });
  return { clock, emu, talk };
}

/**
 * Drives the clock until `call` settles; answers when it did, relative to the
 * start. Time moves only from one wake-up to the next while something sleeps
 * on the clock: while nothing does (a token being signed, a request being
 * read), it stands still, so a sleep that starts late is not cut short.
 */
async function timeToFail(
  clock: ReturnType<typeof createManualClock>,
  call: Promise<unknown>,
): Promise<{ elapsed: number; error: unknown }> {
  const start = clock.now();
  let outcome: { elapsed: number; error: unknown } | undefined;
  call.then(
    () => outcome = { elapsed: clock.now() - start, error: undefined },
    (error) => outcome = { elapsed: clock.now() - start, error },
  );
  for (let idle = 0; !outcome;) {
    if (clock.pending > 0) {
      idle = 0;
      await clock.runAll();
      continue;
    }
    if (++idle > 2_000) assert.fail("nothing sleeps and the call goes on");
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return outcome;
}

const stallCases: [string, (t: TalkJsClient) => Promise<unknown>, number][] = [
  ["users.get()", (t) => t.users.get("alice"), 4],
  ["users.put()", (t) => t.users.put("alice", { name: "A" }), 4],
  [
    "listAll()",
    (t) => Array.fromAsync(listAll(t.users.list)),
    4,
  ],
  [
    "messages.send() with idempotency keys",
    (t) =>
      t.messages.send("c1", { type: "UserMessage", sender: "a", text: "t" }),
    4,
  ],
  [
    "messages.send() of a SystemMessage (not idempotent)",
    (t) => t.messages.send("c1", { type: "SystemMessage", text: "t" }),
    1,
  ],
  [
    "messages.import() (never idempotent)",
    (t) =>
      t.messages.import("c1", {
        type: "UserMessage",
        sender: "a",
        text: "t",
        timestamp: 1,
      }),
    1,
  ],
];

for (const [name, call, attempts] of stallCases) {
  test(`${name} against a stalled server ends at timeoutMs x ${attempts} + backoff exactly`, async () => {
    const { clock, emu, talk } = stalled({ jitter: "none" });
    emu.faults.inject({ delayMs: 3_600_000, times: Infinity });
    const { elapsed, error } = await timeToFail(clock, call(talk));
    sink.errors.push(error);
    assert.ok(error instanceof TalkJsTimeoutError, String(error));
    // Waits before retries 1..3 without jitter: 250, 500, 1000 ms.
    const backoff = [0, 250, 500, 1000].slice(0, attempts)
      .reduce((a, b) => a + b, 0);
    assert.equal(elapsed, 1_000 * attempts + backoff);
    assert.equal(emu.stats.requests, attempts);
    assert.equal(emu.store.users().length, 0, "an aborted request did nothing");
    assert.equal(clock.pending, 0, "no sleeper left behind");
  });
}

test("request() with full jitter against a stalled server stays within timeoutMs x 4 + backoff bounds", async () => {
  for (let run = 0; run < 5; run++) {
    const { clock, emu, talk } = stalled({ random: mulberry32(SEED + run) });
    emu.faults.inject({ delayMs: 3_600_000, times: Infinity });
    const { elapsed, error } = await timeToFail(clock, talk.users.get("a"));
    assert.ok(error instanceof TalkJsTimeoutError);
    assert.ok(elapsed >= 4_000 + 3 * 250, `${elapsed}`);
    assert.ok(elapsed <= 4_000 + 250 + 500 + 1_000, `${elapsed}`);
    assert.equal(clock.pending, 0);
  }
});

for (const where of ["headers", "body"] as const) {
  test(`request() against a loopback server stalled before the ${where} gives up in time`, async () => {
    const server = startStallingServer(where);
    try {
      const talk = createClient({
        appId: APP,
        secretKey: SECRET,
        baseUrl: server.url,
        limiter: false,
        timeoutMs: 150,
        retry: { retries: 2, minDelayMs: 10, maxDelayMs: 40, jitter: "none" },
      });
      const bound = 3 * 150 + 10 + 20;
      for (
        const call of [
          () => talk.users.get("alice"),
          () =>
            talk.messages.import("c1", {
              type: "UserMessage",
              sender: "a",
              text: "t",
              timestamp: 1,
            }),
        ]
      ) {
        const before = server.requests;
        const start = performance.now();
        const error = await call().then(() => undefined, (e) => e);
        const elapsed = performance.now() - start;
        sink.errors.push(error);
        assert.ok(error instanceof TalkJsTimeoutError, String(error));
        const attempts = server.requests - before;
        const limit = attempts === 3 ? bound : 150;
        assert.ok(attempts === 3 || attempts === 1, `${attempts} attempts`);
        assert.ok(elapsed >= limit - 5, `${elapsed} ms`);
        // Real time on a busy machine: allow scheduling slack, not a hang.
        assert.ok(elapsed < limit + 400, `${elapsed} ms, bound ${limit} ms`);
      }
    } finally {
      await server.close();
    }
  });
}

// ---------------------------------------------------------------- 10,000 queued, then aborted

function exposeGc(): (() => void) | undefined {
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    return typeof gc === "function" ? gc : undefined;
  } catch {
    return undefined;
  }
}

test("request() x10,000 queued in the limiter, then aborted: all settle with the reason, memory returns", async () => {
  const gc = exposeGc();
  const heap = () => {
    gc?.();
    gc?.();
    return Deno.memoryUsage().heapUsed;
  };
  const clock = createManualClock(0);
  const emu = createEmulator({
    appId: APP,
    secretKey: SECRET,
    rateLimit: false,
    clock,
  });
  emu.faults.inject({ delayMs: 3_600_000, times: Infinity });
  const limiter = createLimiter({ burst: 1, perSecond: 1, clock });
  const talk = createClient({
    appId: APP,
    secretKey: SECRET,
    baseUrl: emu.baseUrl,
    fetch: emu.fetch,
    clock,
    limiter,
  });
  await talk.users.get("warm-up", { signal: AbortSignal.abort() }).catch(
    () => {},
  );
  const base = heap();

  const controller = new AbortController();
  let calls: Promise<unknown>[] | undefined = Array.from(
    { length: 10_000 },
    (_, i) => talk.users.get(`user-${i}`, { signal: controller.signal }),
  );
  await clock.advance(0);
  // Signing the first one's token is real work the manual clock does not drive.
  await until(() => emu.stats.requests === 1, "the first call to arrive");
  assert.equal(limiter.pending, 9_999, "one went out, the rest are queued");
  assert.equal(emu.stats.requests, 1);
  const peak = heap();

  const reason = new Error("shutting down");
  controller.abort(reason);
  let results: PromiseSettledResult<unknown>[] | undefined = await Promise
    .allSettled(calls);
  assert.equal(results.length, 10_000);
  assert.ok(
    results.every((r) => r.status === "rejected" && r.reason === reason),
    "every call rejects with the abort reason",
  );
  assert.equal(limiter.pending, 0, "the queue is empty");
  assert.equal(
    clock.pending,
    0,
    "no sleeper left: not the limiter's, not a timeout's, not the emulator's",
  );
  assert.equal(emu.stats.requests, 1, "nothing was sent after the abort");
  calls = undefined;
  results = undefined;
  await clock.advance(0);
  const after = heap();

  const grew = peak - base;
  const kept = after - base;
  rows.push({
    scenario: `10,000 queued calls, then aborted (heap +${
      (grew / 1e6).toFixed(1)
    } MB queued, ${kept <= 0 ? "" : "+"}${(kept / 1e6).toFixed(1)} MB after)`,
    transport: "emulator",
    records: 10_000,
    faults: 1,
    kinds: "stall 1",
    requests: 1,
    retries: 0,
    "429s": 0,
    lost: 0,
    duplicates: 0,
  });
  if (gc) {
    assert.ok(grew > 1e6, "the queue did take memory");
    assert.ok(
      kept < Math.max(1e6, grew * 0.1),
      `memory returned: ${kept} bytes kept of ${grew}`,
    );
  }
});

// ---------------------------------------------------------------- bugs

test("messages.import() names the failed chunk when its answer is lost", async () => {
  const clock = createManualClock(1_700_000_000_000);
  const emu = createEmulator({
    appId: APP,
    secretKey: SECRET,
    rateLimit: false,
    clock,
  });
  // The third chunk (messages[20..29]) is stored, then its answer is cut.
  const plan: Plan = (id) =>
    id.includes("/import/") && id.includes('"text":"m20"') ? ["cut"] : [];
  const transport = emulatorTransport(emu, plan, sink);
  const talk = createClient({
    appId: APP,
    secretKey: SECRET,
    baseUrl: emu.baseUrl,
    fetch: transport.fetch,
    clock,
  });
  await talk.users.put("a", { name: "A" });
  await talk.conversations.put("history", { participants: ["a"] });
  const input = Array.from({ length: 50 }, (_, i) => ({
    type: "UserMessage" as const,
    sender: "a",
    text: `m${i}`,
    timestamp: i + 1,
  }));
  const error = await talk.messages.import("history", input).then(
    () => undefined,
    (e) => e,
  );
  sink.errors.push(error);
  assert.equal(emu.store.messages("history").length, 30);
  // README: "when one fails, the ones before it are stored"; the resource's
  // doc: "a chunk whose answer is lost is not retried: the error says which".
  // The caller must be able to tell where to resume without listing: the
  // error names messages[20..29] (in its message, or a field holding 20).
  const own = error && typeof error === "object"
    ? Object.values(error as Record<string, unknown>)
    : [];
  assert.ok(
    /\b20\b/.test(String((error as Error)?.message)) || own.includes(20),
    `the error does not say which chunk failed: ${(error as Error)?.message}`,
  );
});

/**
 * An emulator holding user alice in conversation c1, and a client on it;
 * `wrap` sits between the client and the emulator's fetch.
 */
async function aliceInC1(
  options: {
    retry?: false;
    wrap?: (fetch: typeof globalThis.fetch) => typeof globalThis.fetch;
  } = {},
) {
  const emu = createEmulator({
    appId: APP,
    secretKey: SECRET,
    rateLimit: false,
  });
  const talk = createClient({
    appId: APP,
    secretKey: SECRET,
    baseUrl: emu.baseUrl,
    fetch: options.wrap ? options.wrap(emu.fetch) : emu.fetch,
    ...(options.retry === false ? { retry: false } : {}),
  });
  await talk.users.put("alice", { name: "Alice" });
  await talk.conversations.put("c1", { participants: ["alice"] });
  return { emu, talk };
}

test("messages.send() cut after TalkJS stored a chunk: resending from failedAt with error.chunk.idempotencyKeys stores each message once", async () => {
  // The second POST (the second chunk) is stored, then its answer is cut;
  // without retries the cut surfaces.
  let posts = 0;
  const { emu, talk } = await aliceInC1({
    retry: false,
    wrap: (fetch) => (input, init) => {
      if (init?.method === "POST" && ++posts === 2) {
        emu.faults.inject({ reset: true, path: "/conversations/c1/messages" });
      }
      return fetch(input, init);
    },
  });
  const messages = Array.from({ length: 30 }, (_, i) => ({
    type: "UserMessage" as const,
    sender: "alice",
    text: `m${i}`,
  }));
  const error = await talk.messages.send("c1", messages).catch((e) => e);
  assert.equal(error?.chunk?.failedAt, 10);
  assert.equal(emu.store.messages("c1").length, 20, "the cut chunk was stored");
  const keys = error.chunk.idempotencyKeys as string[];
  assert.equal(keys.length, 30);
  assert.deepEqual(
    error.chunk.ids,
    emu.store.messages("c1").slice(0, 10).map((m) => m.id),
    "the IDs of the chunk answered before the cut",
  );

  await talk.messages.send(
    "c1",
    messages.slice(10).map((m, i) => ({ ...m, idempotencyKey: keys[10 + i]! })),
  );
  const texts = emu.store.messages("c1").map((m) => m.text).sort();
  assert.deepEqual(texts, messages.map((m) => m.text).sort());
});

test("messages.import() aborted between chunks: the last onProgress says how many were stored", async () => {
  const { emu, talk } = await aliceInC1();
  const history = Array.from({ length: 50 }, (_, i) => ({
    type: "UserMessage" as const,
    sender: "alice",
    text: `old ${i}`,
    timestamp: 1_600_000_000_000 + i,
  }));
  const stop = new AbortController();
  const progress: number[] = [];
  const error = await talk.messages.import("c1", history, {
    signal: stop.signal,
    onProgress: ({ done, total, requests }) => {
      assert.equal(total, 50);
      assert.equal(requests, progress.length + 1);
      progress.push(done);
      if (done === 20) stop.abort(new Error("user gave up"));
    },
  }).catch((e) => e);
  assert.equal(error?.message, "user gave up");
  assert.deepEqual(progress, [10, 20]);
  assert.equal(emu.store.messages("c1").length, progress.at(-1));

  // Resuming from there stores the rest once.
  await talk.messages.import("c1", history.slice(progress.at(-1)));
  const texts = emu.store.messages("c1").map((m) => m.text).sort();
  assert.deepEqual(texts, history.map((m) => m.text).sort());
});
