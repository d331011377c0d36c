// What every fault scenario runs on: an emulator, a transport that applies
// the plan and a client on a fast clock; the checks that every record was
// stored exactly once and that the limiter recovered; and the reliability
// table the scenarios' figures make.
import assert from "node:assert/strict";
import { createClient, type TalkJsClient } from "../src/client.ts";
import type { Clock } from "../src/clock.ts";
import { createLimiter, type Limiter } from "../src/limiter.ts";
import type { RetryInfo } from "../src/retry.ts";
import { createEmulator, type Emulator } from "../testing.ts";
import { mulberry32 } from "./_random.ts";
import { fastClock } from "./_fast_clock.ts";
import { APP, type Plan, SECRET, SEED, sum } from "./_fault_plan.ts";
import {
  emulatorTransport,
  loopbackTransport,
  type Transport,
} from "./_fault_transports.ts";
import type { Sink } from "./_sink.ts";

/** One row of the reliability table. */
export interface Figures {
  scenario: string;
  transport: string;
  /** Logical operations asked for (records, pages or calls). */
  records: number;
  faults: number;
  /** Faults by kind, e.g. "cut 9, 503 7". */
  kinds: string;
  requests: number;
  retries: number;
  "429s": number;
  lost: number;
  duplicates: number;
}

export interface ScenarioOptions {
  transport: "emulator" | "loopback";
  seed?: number;
  sink: Sink;
  /** Shrinks the scenario (the secrets suite reruns them small). */
  scale?: number;
}

export interface Harness {
  emu: Emulator;
  talk: TalkJsClient;
  transport: Transport;
  limiter: Limiter;
  clock: Clock;
  retries: RetryInfo[];
  close(): Promise<void>;
}

/** An emulator (no rate limit: only the plan fails requests), a transport and a client. */
export function harness(
  options: ScenarioOptions,
  plan: Plan,
  extra: {
    emulatorRateLimit?: { burst: number; perSecond: number };
    limiter?: { burst: number; perSecond: number };
    scale?: number;
  } = {},
): Harness {
  const clock = fastClock(extra.scale);
  const emu = createEmulator({
    appId: APP,
    secretKey: SECRET,
    rateLimit: extra.emulatorRateLimit ?? false,
    clock,
  });
  const transport = options.transport === "emulator"
    ? emulatorTransport(emu, plan, options.sink)
    : loopbackTransport(emu, plan, options.sink);
  const limiter = createLimiter({ clock, key: APP, ...extra.limiter });
  const retries: RetryInfo[] = [];
  const random = mulberry32(options.seed ?? SEED);
  const talk = createClient({
    appId: APP,
    secretKey: SECRET,
    baseUrl: transport.baseUrl,
    fetch: transport.fetch,
    clock,
    limiter,
    // 60 s of the fast clock is 0.6 s of real time: room for a busy machine.
    // Stalls last an hour; tokens live 60 s (the default 30 s is covered by
    // secrets_test.ts on a manual clock).
    timeoutMs: 60_000,
    tokenTtlSeconds: 60,
    retry: {
      random,
      onRetry(info) {
        retries.push(info);
        options.sink.infos.push(info);
      },
    },
  });
  return {
    emu,
    talk,
    transport,
    limiter,
    clock,
    retries,
    close: () => transport.close(),
  };
}

export function figures(
  h: Harness,
  scenario: string,
  records: number,
  lost: number,
  duplicates: number,
): Figures {
  const { tally } = h.transport;
  return {
    scenario,
    transport: h.transport.name,
    records,
    faults: sum(tally.faults),
    kinds: Object.entries(tally.faults).sort().map(([k, n]) => `${k} ${n}`)
      .join(", "),
    requests: tally.requests,
    retries: h.retries.length,
    "429s": tally.statuses[429] ?? 0,
    lost,
    duplicates,
  };
}

/** Lost and duplicated IDs of `actual` against `expected`. */
export function compare(
  expected: readonly string[],
  actual: readonly string[],
): { lost: string[]; duplicates: string[]; unexpected: string[] } {
  const want = new Set(expected);
  const seen = new Map<string, number>();
  for (const id of actual) seen.set(id, (seen.get(id) ?? 0) + 1);
  return {
    lost: expected.filter((id) => !seen.has(id)),
    duplicates: [...seen].filter(([, n]) => n > 1).map(([id]) => id),
    unexpected: [...seen.keys()].filter((id) => !want.has(id)),
  };
}

export function assertExactlyOnce(
  what: string,
  expected: readonly string[],
  actual: readonly string[],
): { lost: number; duplicates: number } {
  const { lost, duplicates, unexpected } = compare(expected, actual);
  assert.deepEqual(
    { lost: lost.slice(0, 5), duplicates: duplicates.slice(0, 5), unexpected },
    { lost: [], duplicates: [], unexpected: [] },
    `${what}: every record exactly once`,
  );
  assert.equal(actual.length, expected.length, `${what}: count`);
  return { lost: lost.length, duplicates: duplicates.length };
}

/** Every survivable fault made exactly one retry, and nothing else was sent. */
export function assertAccounting(h: Harness, logicalRequests: number): void {
  const { tally } = h.transport;
  assert.equal(
    h.retries.length,
    sum(tally.faults),
    "one retry per injected fault, no more",
  );
  assert.equal(
    tally.requests,
    logicalRequests + sum(tally.faults),
    "requests = logical requests + retries",
  );
}

/**
 * After a run: nothing queued in the limiter, and the next caller waits no
 * longer than the last penalty (a Retry-After of 1 s) plus the pacing the
 * requests sent so far call for (beyond a burst of 600, 9 per second).
 */
export async function assertRecovered(h: Harness): Promise<void> {
  assert.equal(h.limiter.pending, 0, "the limiter's queue is empty");
  const before = h.clock.now();
  const release = await h.limiter.acquire();
  release();
  const waited = h.clock.now() - before;
  const pacing = Math.max(0, h.transport.tally.requests - 600) * 1000 / 9;
  assert.ok(
    waited < 1_500 + pacing,
    `the limiter is not stuck: waited ${Math.round(waited)} ms`,
  );
}

// ---------------------------------------------------------------- the table

export function formatTable(rows: readonly Figures[]): string {
  const head =
    "| scenario | transport | faults injected | requests sent | retries | 429s | records lost | duplicates |";
  const rule = "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |";
  const lines = rows.map((r) =>
    `| ${r.scenario} | ${r.transport} | ${r.faults}${
      r.kinds ? ` (${r.kinds})` : ""
    } | ${r.requests} | ${r.retries} | ${
      r["429s"]
    } | ${r.lost} | ${r.duplicates} |`
  );
  return [head, rule, ...lines].join("\n");
}
