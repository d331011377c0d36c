// The fault suite's scenarios: a client over a faulty transport to the
// emulator, each asserting that every record is stored exactly once and that
// the limiter recovers, and returning its row of the reliability table.
import assert from "node:assert/strict";
import { TalkJsNetworkError } from "../src/errors.ts";
import { listAll } from "../src/list_all.ts";
import type { ImportMessageInput } from "../src/types.ts";
import { mulberry32 } from "./_random.ts";
import {
  APP,
  type FaultKind,
  type Plan,
  SEED,
  seededPlan,
  sum,
} from "./_fault_plan.ts";
import {
  assertAccounting,
  assertExactlyOnce,
  assertRecovered,
  type Figures,
  figures,
  harness,
  type ScenarioOptions,
} from "./_fault_harness.ts";

const ALL_KINDS: FaultKind[] = ["503", "500", "429", "429-ra", "cut", "stall"];
const BEFORE_WORK: FaultKind[] = ["503", "500", "429", "429-ra"];

/** Seeds `n` users through putMany (faults included), then lists them all with listAll. */
export async function scenarioListAll(
  options: ScenarioOptions,
): Promise<Figures> {
  const n = Math.round(5_000 * (options.scale ?? 1));
  const plan = seededPlan(
    options.seed ?? SEED,
    0.25,
    ALL_KINDS.filter((k) => k !== "stall"),
  );
  const h = harness(options, plan);
  try {
    const ids = Array.from(
      { length: n },
      (_, i) => `user-${String(i).padStart(5, "0")}`,
    );
    await h.talk.users.putMany(
      Object.fromEntries(ids.map((id) => [id, { name: `Name of ${id}` }])),
    );
    const stored = h.emu.store.users();
    assertExactlyOnce("store after putMany", ids, stored.map((u) => u.id));
    for (const u of stored) assert.equal(u.name, `Name of ${u.id}`);

    const pages: unknown[] = [];
    const listed = await Array.fromAsync(
      listAll(h.talk.users.list, {
        onPage: (info) => {
          pages.push(info);
          options.sink.infos.push(info);
        },
      }),
    );
    const { lost, duplicates } = assertExactlyOnce(
      "listAll against the store",
      h.emu.store.users().map((u) => u.id),
      listed.map((u) => u.id),
    );
    assert.deepEqual(
      listed.map((u) => u.id),
      h.emu.store.users().map((u) => u.id).reverse(),
      "newest first, in the store's order",
    );
    const putRequests = Math.ceil(n / 100);
    assertAccounting(h, putRequests + pages.length);
    options.sink.infos.push(structuredClone(h.emu.stats));
    await assertRecovered(h);
    return figures(
      h,
      `listAll of ${n.toLocaleString("en")} users`,
      n,
      lost,
      duplicates,
    );
  } finally {
    await h.close();
  }
}

/** `n` concurrent PUTs of distinct users. */
export async function scenarioConcurrentPuts(
  options: ScenarioOptions,
): Promise<Figures> {
  const n = Math.round(300 * (options.scale ?? 1));
  const plan = seededPlan(options.seed ?? SEED, 0.3, ALL_KINDS);
  const h = harness(options, plan);
  try {
    const ids = Array.from({ length: n }, (_, i) => `put-${i}`);
    await Promise.all(
      ids.map((id) =>
        h.talk.users.put(id, { name: `Name ${id}`, custom: { n: id } })
      ),
    );
    const stored = h.emu.store.users();
    const { lost, duplicates } = assertExactlyOnce(
      "store after concurrent PUTs",
      ids,
      stored.map((u) => u.id),
    );
    for (const u of stored) {
      assert.equal(u.name, `Name ${u.id}`);
      assert.deepEqual(u.custom, { n: u.id });
    }
    assertAccounting(h, n);
    options.sink.infos.push(structuredClone(h.emu.stats));
    await assertRecovered(h);
    return figures(h, `${n} concurrent PUTs`, n, lost, duplicates);
  } finally {
    await h.close();
  }
}

/** Message sends: `conversations` in parallel, each with its sends in sequence. */
export async function scenarioSends(
  options: ScenarioOptions,
): Promise<Figures> {
  const conversations = Math.max(2, Math.round(20 * (options.scale ?? 1)));
  const per = 10;
  const plan = seededPlan(options.seed ?? SEED, 0.3, ALL_KINDS);
  const h = harness(options, plan);
  try {
    const cids = Array.from({ length: conversations }, (_, i) => `conv-${i}`);
    await h.talk.users.putMany({
      alice: { name: "Alice" },
      bob: { name: "Bob" },
    });
    await Promise.all(
      cids.map((cid) =>
        h.talk.conversations.put(cid, { participants: ["alice", "bob"] })
      ),
    );
    const setupRequests = 1 + conversations;
    await Promise.all(cids.map(async (cid) => {
      for (let i = 0; i < per; i++) {
        await h.talk.messages.send(cid, {
          type: "UserMessage",
          sender: i % 2 ? "bob" : "alice",
          text: `${cid}/message-${i}`,
        });
      }
    }));
    const expected = cids.flatMap((cid) =>
      Array.from({ length: per }, (_, i) => `${cid}/message-${i}`)
    );
    const texts = h.emu.store.messages().map((m) => m.text ?? "");
    const { lost, duplicates } = assertExactlyOnce(
      "store after sends",
      expected,
      texts,
    );
    for (const cid of cids) {
      assert.deepEqual(
        h.emu.store.messages(cid).map((m) => m.text),
        expected.filter((t) => t.startsWith(`${cid}/`)),
        "in order",
      );
    }
    assertAccounting(h, setupRequests + expected.length);
    options.sink.infos.push(structuredClone(h.emu.stats));
    await assertRecovered(h);
    return figures(
      h,
      `${expected.length} message sends`,
      expected.length,
      lost,
      duplicates,
    );
  } finally {
    await h.close();
  }
}

function importMessages(n: number): ImportMessageInput[] {
  return Array.from({ length: n }, (_, i) => ({
    type: "UserMessage",
    sender: i % 3 ? "alice" : "bob",
    text: `import-${String(i).padStart(5, "0")}`,
    timestamp: 1_600_000_000_000 + i * 1000,
  }));
}

/**
 * An import with faults that answer before any work (503, 500, 429 with and
 * without Retry-After): every one is retried, nothing is stored twice.
 */
export async function scenarioImport(
  options: ScenarioOptions,
): Promise<Figures> {
  const n = Math.round(2_000 * (options.scale ?? 1));
  const plan = seededPlan(options.seed ?? SEED, 0.15, BEFORE_WORK);
  const h = harness(options, plan);
  try {
    await h.talk.users.putMany({ alice: { name: "A" }, bob: { name: "B" } });
    await h.talk.conversations.put("history", {
      participants: ["alice", "bob"],
    });
    const input = importMessages(n);
    const result = await h.talk.messages.import("history", input);
    assert.deepEqual(result, { imported: n, requests: n / 10 });
    const stored = h.emu.store.messages("history");
    const { lost, duplicates } = assertExactlyOnce(
      "store after import",
      input.map((m) => m.text),
      stored.map((m) => m.text ?? ""),
    );
    assert.deepEqual(
      stored.map((m) => [m.text, m.createdAt, m.origin]),
      input.map((m) => [m.text, m.timestamp, "import"]),
    );
    assertAccounting(h, 2 + n / 10);
    options.sink.infos.push(structuredClone(h.emu.stats));
    await assertRecovered(h);
    return figures(
      h,
      `import of ${n.toLocaleString("en")} messages (faults before work)`,
      n,
      lost,
      duplicates,
    );
  } finally {
    await h.close();
  }
}

/** Which import chunks get their answer cut: three, chosen by the seed. */
export function cutChunks(seed: number, chunks: number): number[] {
  const rng = mulberry32(seed ^ 0xc0ffee);
  const picked = new Set<number>();
  while (picked.size < Math.min(3, chunks)) {
    picked.add(Math.floor(rng() * chunks));
  }
  return [...picked].sort((a, b) => a - b);
}

/**
 * An import whose answers are cut after the work for three chunks (plus
 * before-work faults elsewhere). A lost answer to an import is not retried
 * (TalkJS does not deduplicate imports): the call fails with a
 * TalkJsNetworkError, the caller counts what is stored and resumes.
 */
export async function scenarioImportCut(
  options: ScenarioOptions,
): Promise<Figures & { failures: TalkJsNetworkError[]; cut: number[] }> {
  const n = Math.round(2_000 * (options.scale ?? 1));
  const seed = options.seed ?? SEED;
  const cut = cutChunks(seed, n / 10);
  const input = importMessages(n);
  const cutTexts = new Set(cut.map((c) => `"text":"${input[c * 10]!.text}"`));
  const base = seededPlan(seed, 0.1, BEFORE_WORK);
  const plan: Plan = (identity) => {
    if (!identity.includes("/import/")) return [];
    for (const t of cutTexts) if (identity.includes(t)) return ["cut"];
    return base(identity);
  };
  const h = harness(options, plan);
  try {
    await h.talk.users.putMany({ alice: { name: "A" }, bob: { name: "B" } });
    await h.talk.conversations.put("history", {
      participants: ["alice", "bob"],
    });
    const failures: TalkJsNetworkError[] = [];
    let listRequests = 0;
    let done = 0;
    while (done < n) {
      try {
        await h.talk.messages.import("history", input.slice(done));
        done = n;
      } catch (error) {
        options.sink.errors.push(error);
        assert.ok(error instanceof TalkJsNetworkError, String(error));
        assert.equal(error.method, "POST");
        assert.equal(
          error.path,
          `/v1/${APP}/import/conversations/history/messages`,
        );
        failures.push(error);
        // The caller's way to resume: count what TalkJS holds.
        let stored = 0;
        for await (
          const _ of listAll(h.talk.messages.list, {
            conversationId: "history",
            onPage: () => void listRequests++,
          })
        ) stored++;
        assert.equal(stored % 10, 0, "a chunk is stored whole or not at all");
        assert.ok(stored > done, "the cut chunk was stored");
        done = stored;
      }
    }
    assert.equal(failures.length, cut.length, "one failure per cut chunk");
    const stored = h.emu.store.messages("history");
    const { lost, duplicates } = assertExactlyOnce(
      "store after an import with cut answers, resumed",
      input.map((m) => m.text),
      stored.map((m) => m.text ?? ""),
    );
    assert.equal(
      h.retries.length,
      sum(h.transport.tally.faults) - cut.length,
      "the cut chunks were not retried; every other fault was",
    );
    assert.equal(
      h.transport.tally.requests,
      2 + n / 10 + listRequests + h.retries.length,
      "each chunk sent once, plus retries of faults before work",
    );
    options.sink.infos.push(structuredClone(h.emu.stats));
    await assertRecovered(h);
    return {
      ...figures(
        h,
        `import of ${
          n.toLocaleString("en")
        } messages, ${cut.length} answers cut (resumed by the caller)`,
        n,
        lost,
        duplicates,
      ),
      failures,
      cut,
    };
  } finally {
    await h.close();
  }
}

/**
 * A 429 storm: every request's first attempt (and some later ones) is
 * answered 429, half with Retry-After: 1 and half without. Then the limiter
 * and retries must be back to normal: a second wave goes through untouched.
 */
export async function scenarioStorm(
  options: ScenarioOptions,
): Promise<Figures> {
  const n = Math.round(300 * (options.scale ?? 1));
  const seed = options.seed ?? SEED;
  const storm = seededPlan(seed, 1, ["429", "429-ra"]);
  let raging = true;
  // A limiter with room to spare, so that any wait is the 429 penalty.
  const h = harness(options, (identity) => raging ? storm(identity) : [], {
    limiter: { burst: 5_000, perSecond: 1_000 },
  });
  try {
    const ids = Array.from({ length: n }, (_, i) => `storm-${i}`);
    await Promise.all(ids.map((id) => h.talk.users.put(id, { name: id })));
    const { lost, duplicates } = assertExactlyOnce(
      "store after the storm",
      ids,
      h.emu.store.users().map((u) => u.id),
    );
    assert.ok(
      (h.transport.tally.statuses[429] ?? 0) >= n,
      "a storm: 429 first",
    );
    assertAccounting(h, n);
    await assertRecovered(h);
    const row = figures(
      h,
      `429 storm on ${n} concurrent PUTs`,
      n,
      lost,
      duplicates,
    );

    // Recovery: the storm is over, the next wave sees no retry and no wait.
    raging = false;
    const retriesBefore = h.retries.length;
    const requestsBefore = h.transport.tally.requests;
    await h.clock.sleep(1_000); // the last Retry-After
    const start = h.clock.now();
    const release = await h.limiter.acquire();
    release();
    const waited = h.clock.now() - start;
    await Promise.all(
      ids.map((id) => h.talk.users.put(id, { name: `${id} again` })),
    );
    assert.ok(waited < 1_000, `no lingering penalty: ${Math.round(waited)} ms`);
    assert.equal(h.retries.length, retriesBefore, "no retry after the storm");
    assert.equal(h.transport.tally.requests - requestsBefore, n);
    assert.equal(h.limiter.pending, 0);
    return row;
  } finally {
    await h.close();
  }
}

/**
 * The emulator's own rate limit (burst 100, 100/s) against a client whose
 * limiter believes TalkJS's default budget (600 at once): a real storm of
 * 429 + Retry-After, answered by holding the limiter's whole queue.
 */
export async function scenarioRateLimitStorm(
  options: ScenarioOptions,
): Promise<Figures> {
  const n = Math.round(300 * (options.scale ?? 1));
  // A slower fast clock: the emulator's refill must not outrun the arrivals.
  const h = harness(options, () => [], {
    emulatorRateLimit: { burst: Math.ceil(n / 3), perSecond: Math.ceil(n / 3) },
    scale: 5,
  });
  try {
    const ids = Array.from({ length: n }, (_, i) => `limited-${i}`);
    await Promise.all(ids.map((id) => h.talk.users.put(id, { name: id })));
    const { lost, duplicates } = assertExactlyOnce(
      "store after the rate-limit storm",
      ids,
      h.emu.store.users().map((u) => u.id),
    );
    const limited = h.transport.tally.statuses[429] ?? 0;
    assert.ok(limited > 0, "the emulator answered 429s");
    assert.equal(h.retries.length, limited, "one retry per 429");
    assert.equal(h.emu.stats.rateLimited, limited);
    assert.equal(h.transport.tally.requests, n + limited);
    options.sink.infos.push(structuredClone(h.emu.stats));
    await assertRecovered(h);
    return figures(
      h,
      `emulator rate limit (burst ${Math.ceil(n / 3)}) vs ${n} concurrent PUTs`,
      n,
      lost,
      duplicates,
    );
  } finally {
    await h.close();
  }
}
