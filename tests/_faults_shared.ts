// Shared by the fault suite (faults_test.ts), the bad input table
// (bad_input_test.ts) and the secrets dump (secrets_test.ts): a seeded fault
// plan, two transports that apply it (the emulator's fault injection in
// process, and a raw-TCP loopback proxy in front of the emulator), the
// scenarios themselves, and the sink every error, log line and info goes to so
// that a grep can look for the secret key and the tokens in all of it.
import assert from "node:assert/strict";
import { createClient, type TalkJsClient } from "../src/client.ts";
import { type Clock, systemClock } from "../src/clock.ts";
import { TalkJsNetworkError } from "../src/errors.ts";
import { createLimiter, type Limiter } from "../src/limiter.ts";
import { listAll } from "../src/list_all.ts";
import type { RetryInfo } from "../src/retry.ts";
import type { ImportMessageInput } from "../src/types.ts";
import {
  createEmulator,
  type Emulator,
  type FaultOptions,
} from "../testing.ts";
import { mulberry32 } from "./_random.ts";
import {
  CUT,
  type FakeServer,
  json,
  serveTcp,
  startFakeServer,
} from "./_fake_server.ts";

// ---------------------------------------------------------------- seed, secrets

function envSeed(): number | undefined {
  try {
    const raw = Deno.env.get("FAULT_SEED");
    return raw === undefined ? undefined : Number(raw) >>> 0;
  } catch {
    return undefined; // no --allow-env
  }
}

/** The seed of every fault plan and jitter; `FAULT_SEED=<n>` replays another. */
export { mulberry32 };

export const SEED: number = envSeed() ?? 20_251_125;

export const APP = "tFaultSuite";
/** Distinctive, so a grep for it cannot match anything by chance. */
export const SECRET = "sk_test_FAULTS_9f8e7d6c5b4a_never_print_me";

/** FNV-1a, to key a plan by a request's identity rather than by arrival order. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// ---------------------------------------------------------------- clocks

/**
 * Real time, `scale` times faster: TalkJS-sized waits (Retry-After: 1, a
 * 30 s token, 250 ms backoff) cost `1/scale` of that, and real sockets still
 * work, which a manual clock cannot drive.
 */
export function fastClock(scale = 100, start = 1_700_000_000_000): Clock {
  const t0 = performance.now();
  return {
    now: () => start + (performance.now() - t0) * scale,
    sleep: (ms, signal) => systemClock.sleep(ms / scale, signal),
  };
}

// ---------------------------------------------------------------- the sink

/** Everything the suites produce that a user could log. */
export interface Sink {
  errors: unknown[];
  /** onRetry and onPage infos, emulator stats, other values handed to callers. */
  infos: unknown[];
  /** Console output captured while a scenario ran. */
  logs: string[];
  /** Every bearer credential sent on the wire. */
  tokens: Set<string>;
}

export function createSink(): Sink {
  return { errors: [], infos: [], logs: [], tokens: new Set() };
}

/** Records the Authorization header of a request. */
export function recordToken(sink: Sink, headers: Headers): void {
  const auth = headers.get("authorization");
  if (auth?.startsWith("Bearer ")) sink.tokens.add(auth.slice(7));
}

/** Every way a user might print a value: message, stack, JSON, inspect, causes. */
export function dump(value: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let v: unknown = value;
  while (v !== undefined && v !== null && !seen.has(v)) {
    seen.add(v);
    if (v instanceof Error) {
      parts.push(v.message, v.stack ?? "", String(v));
    }
    try {
      parts.push(JSON.stringify(v) ?? "");
    } catch { /* cyclic: inspect covers it */ }
    parts.push(
      Deno.inspect(v, {
        depth: Infinity,
        showHidden: true,
        getters: true,
        iterableLimit: Infinity,
        strAbbreviateSize: Infinity,
      }),
    );
    v = v instanceof Error ? v.cause : undefined;
  }
  return parts.join("\n");
}

function base64url(text: string): string {
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** What must never be printed: the key, its encodings, every token and its signature. */
export function forbidden(sink: Sink, secrets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const s of secrets) {
    out.add(s);
    out.add(base64url(s));
    out.add(
      [...new TextEncoder().encode(s)].map((b) =>
        b.toString(16).padStart(2, "0")
      ).join(""),
    );
  }
  for (const token of sink.tokens) {
    if (secrets.includes(token)) continue;
    out.add(token);
    const signature = token.split(".")[2];
    if (signature) out.add(signature);
  }
  return [...out];
}

/** Where each forbidden string appears in the sink's dump; empty when clean. */
export function findLeaks(
  sink: Sink,
  secrets: readonly string[],
  extra: readonly unknown[] = [],
): string[] {
  const needles = forbidden(sink, secrets);
  const leaks: string[] = [];
  const items: [string, unknown][] = [
    ...sink.errors.map((e, i): [string, unknown] => [`errors[${i}]`, e]),
    ...sink.infos.map((e, i): [string, unknown] => [`infos[${i}]`, e]),
    ...sink.logs.map((e, i): [string, unknown] => [`logs[${i}]`, e]),
    ...extra.map((e, i): [string, unknown] => [`extra[${i}]`, e]),
  ];
  for (const [where, item] of items) {
    const text = typeof item === "string" ? item : dump(item);
    for (const needle of needles) {
      if (text.includes(needle)) {
        leaks.push(`${where} holds ${needle.slice(0, 12)}…`);
      }
    }
  }
  return leaks;
}

/** Runs `fn` with console output captured into the sink (and still printed). */
export async function capturingConsole<T>(
  sink: Sink,
  fn: () => Promise<T>,
): Promise<T> {
  const names = ["log", "error", "warn", "info", "debug"] as const;
  const saved = names.map((n) => console[n]);
  for (const n of names) {
    console[n] = (...args: unknown[]) => {
      sink.logs.push(args.map((a) => dump(a)).join(" "));
    };
  }
  try {
    return await fn();
  } finally {
    names.forEach((n, i) => console[n] = saved[i]!);
  }
}

// ---------------------------------------------------------------- fault plans

/**
 * `cut`: the work is done, then the answer is cut mid-body. `stall`: no answer
 * until the client's timeout. The others answer before any work is done.
 */
export type FaultKind = "503" | "500" | "429" | "429-ra" | "cut" | "stall";

/** The faults for each attempt of one logical request: attempt n gets `[n-1]`. */
export type Plan = (identity: string) => readonly FaultKind[];

/** Failures survivable by a correct client: 1 to 3 per call (3 retries). */
const COUNTS = [1, 1, 1, 1, 2, 2, 3];

/**
 * A seeded plan: a share `rate` of logical requests fail 1–3 times in a row,
 * each time with one of `kinds`. Keyed by the request's identity, so the same
 * requests fail whatever the order of arrival.
 */
export function seededPlan(
  seed: number,
  rate: number,
  kinds: readonly FaultKind[],
): Plan {
  return (identity) => {
    const rng = mulberry32(seed ^ hash32(identity));
    if (rng() >= rate) return [];
    const n = COUNTS[Math.floor(rng() * COUNTS.length)]!;
    return Array.from(
      { length: n },
      () => kinds[Math.floor(rng() * kinds.length)]!,
    );
  };
}

/**
 * What makes two requests the same logical request: method, path, query and
 * body, without idempotency keys (random per `send` call, the same across its
 * retries).
 */
export function identityOf(method: string, path: string, body: string): string {
  return `${method} ${path} ${body.replace(/"idempotencyKey":"[^"]*",?/g, "")}`;
}

/** What a transport counted. */
export interface Tally {
  /** Requests that left the client. */
  requests: number;
  /** Answers by status (a cut answer counts as its 200 status line). */
  statuses: Record<number, number>;
  /** Faults applied, by kind. */
  faults: Record<string, number>;
}

function newTally(): Tally {
  return { requests: 0, statuses: {}, faults: {} };
}

function bump(record: Record<string | number, number>, key: string | number) {
  record[key] = (record[key] ?? 0) + 1;
}

export function sum(record: Record<string | number, number>): number {
  return Object.values(record).reduce((a, b) => a + b, 0);
}

/** Tracks attempts per identity and answers the fault of this attempt. */
function planner(plan: Plan, tally: Tally) {
  const attempts = new Map<string, number>();
  return (identity: string): FaultKind | undefined => {
    const n = (attempts.get(identity) ?? 0) + 1;
    attempts.set(identity, n);
    const kind = plan(identity)[n - 1];
    if (kind) bump(tally.faults, kind);
    return kind;
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// ---------------------------------------------------------------- transports

export interface Transport {
  name: "emulator" | "loopback";
  baseUrl: string;
  fetch: typeof fetch;
  tally: Tally;
  close(): Promise<void>;
}

const STALL_MS = 3_600_000;

/**
 * The emulator in process: each planned fault is injected through
 * `emu.faults.inject` for exactly this request (its exact path and method,
 * once) just before it is handed over.
 */
export function emulatorTransport(
  emu: Emulator,
  plan: Plan,
  sink: Sink,
): Transport {
  const tally = newTally();
  const next = planner(plan, tally);
  const prefix = `/v1/${emu.appId}`;
  const transportFetch: typeof fetch = async (input, init) => {
    const req = new Request(input, init);
    tally.requests++;
    recordToken(sink, req.headers);
    const url = new URL(req.url);
    const path = url.pathname.slice(prefix.length);
    const body = req.method === "GET" ? "" : await req.clone().text();
    const kind = next(identityOf(req.method, path + url.search, body));
    if (kind) {
      const where = {
        path: new RegExp(`^${escapeRegExp(path)}$`),
        method: req.method,
        times: 1,
      };
      const fault: FaultOptions = kind === "cut"
        ? { reset: true }
        : kind === "stall"
        ? { delayMs: STALL_MS }
        : kind === "429-ra"
        ? { status: 429, retryAfter: 1 }
        : { status: Number(kind) };
      emu.faults.inject({ ...fault, ...where });
    }
    const res = await emu.fetch(req);
    bump(tally.statuses, res.status);
    return res;
  };
  return {
    name: "emulator",
    baseUrl: emu.baseUrl,
    fetch: transportFetch,
    tally,
    close: () => Promise.resolve(),
  };
}

/**
 * Starts a server with Nagle's algorithm off on every accepted connection:
 * the fake server writes the head and the body separately, and Nagle plus
 * delayed ACKs would add 40 ms to every sequential request.
 */
export function withNoDelay<T>(start: () => T): T {
  const listen = Deno.listen;
  Object.assign(Deno, {
    listen(options: Deno.TcpListenOptions) {
      const listener = listen(options);
      const accept = listener[Symbol.asyncIterator].bind(listener);
      Object.defineProperty(listener, Symbol.asyncIterator, {
        value: async function* () {
          for await (const conn of { [Symbol.asyncIterator]: accept }) {
            conn.setNoDelay(true);
            yield conn;
          }
        },
      });
      return listener;
    },
  });
  try {
    return start();
  } finally {
    Object.assign(Deno, { listen });
  }
}

const HTML_503 =
  "<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1></body></html>";

/**
 * A raw-TCP loopback server in front of the emulator that applies the plan
 * itself: it cuts connections mid-body after forwarding (`cut`), holds
 * requests until the client gives up (`stall`), and answers 429 storms with
 * and without Retry-After and HTML 503 pages without forwarding.
 */
export function loopbackTransport(
  emu: Emulator,
  plan: Plan,
  sink: Sink,
): Transport & { server: FakeServer } {
  const tally = newTally();
  const next = planner(plan, tally);
  const prefix = `/v1/${emu.appId}`;
  const server = withNoDelay(startFakeServer);
  const stalled: (() => void)[] = [];
  const forward = (
    r: { method: string; path: string; headers: Headers; body: string },
  ) => {
    const headers = new Headers();
    for (
      const name of ["authorization", "content-type", "talkjs-rest-version"]
    ) {
      const value = r.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    return emu.fetch(emu.baseUrl + r.path, {
      method: r.method,
      headers,
      ...(r.method === "GET" ? {} : { body: r.body }),
    });
  };
  server.setDefault(async (r) => {
    const path = r.path.slice(prefix.length);
    const kind = next(identityOf(r.method, path, r.body));
    switch (kind) {
      case "429":
        return json({ errorCode: "TOO_MANY_REQUESTS" }, 429);
      case "429-ra":
        return json({ errorCode: "TOO_MANY_REQUESTS" }, 429, {
          "retry-after": "1",
        });
      case "503":
        return new Response(HTML_503, {
          status: 503,
          headers: { "content-type": "text/html" },
        });
      case "500":
        return json({ errorCode: "INTERNAL_SERVER_ERROR" }, 500);
      case "stall":
        return await new Promise<Response>((resolve) =>
          stalled.push(() => resolve(json({}, 504)))
        );
      case "cut":
        await (await forward(r)).arrayBuffer();
        return CUT;
      default:
        return await forward(r);
    }
  });
  const transportFetch: typeof fetch = async (input, init) => {
    const req = new Request(input, init);
    tally.requests++;
    recordToken(sink, req.headers);
    const res = await fetch(req);
    bump(tally.statuses, res.status);
    return res;
  };
  return {
    name: "loopback",
    baseUrl: server.url,
    fetch: transportFetch,
    tally,
    server,
    async close() {
      stalled.forEach((release) => release());
      await server.close();
    },
  };
}

// ---------------------------------------------------------------- scenarios

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

interface Harness {
  emu: Emulator;
  talk: TalkJsClient;
  transport: Transport;
  limiter: Limiter;
  clock: Clock;
  retries: RetryInfo[];
  close(): Promise<void>;
}

/** An emulator (no rate limit: only the plan fails requests), a transport and a client. */
function harness(
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

function figures(
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

function assertExactlyOnce(
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
function assertAccounting(h: Harness, logicalRequests: number): void {
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
async function assertRecovered(h: Harness): Promise<void> {
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

// ---------------------------------------------------------------- a stalling server

/**
 * A raw-TCP server that reads each request and then stalls: before the
 * status line (`"headers"`), or after the headers and a few bytes of the
 * body (`"body"`). Connections stay open until the client gives up or the
 * server closes.
 */
export function startStallingServer(where: "headers" | "body"): {
  url: string;
  requests: number;
  close(): Promise<void>;
} {
  const state = { requests: 0 };
  const enc = new TextEncoder();
  async function handle(conn: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    let seen = "";
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return;
      seen += new TextDecoder().decode(buf.subarray(0, n));
      if (!seen.includes("\r\n\r\n")) continue;
      state.requests++;
      seen = "";
      if (where === "body") {
        await conn.write(enc.encode(
          'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 64\r\n\r\n{"id":',
        ));
      }
      // Stall: read on until the client hangs up.
    }
  }
  const server = serveTcp(handle);
  return {
    url: `http://127.0.0.1:${server.port}`,
    get requests() {
      return state.requests;
    },
    close: () => server.close(),
  };
}
