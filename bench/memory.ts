/**
 * Memory: RSS growth while `listAll` streams N emulator records, and the
 * heap each call costs while it waits in the limiter's queue. Each N runs
 * in its own process (`--v8-flags=--expose-gc`), so one run's heap does not
 * carry into the next. The emulator's store holds the records, so the
 * baseline is taken after seeding (and a forced GC); growth is the largest
 * RSS, after a forced GC, sampled every `sampleEvery` records while
 * streaming, minus the baseline. Records are counted and dropped, as an
 * export that writes each one out would.
 *
 * Run alone: `deno run -A --v8-flags=--expose-gc bench/memory.ts 100000`.
 *
 * @module
 */
import { createClient, createLimiter, listAll } from "../mod.ts";
import { createEmulator } from "../testing.ts";
import { seedUsers } from "./retry_storm.ts";
import type { Row, Section } from "./_report.ts";

/** What one child process reports. */
export interface MemoryResult {
  n: number;
  count: number;
  baselineMb: number;
  /** Largest post-GC RSS while streaming, minus the baseline. */
  growthMb: number;
  /** Largest RSS without forcing GC (garbage included), minus the baseline. */
  rawPeakGrowthMb: number;
  /** RSS after the stream ended and a GC, minus the baseline. */
  endGrowthMb: number;
  /** Growth of V8's used heap after GC, at its largest. */
  heapGrowthMb: number;
  seedSeconds: number;
  streamSeconds: number;
  gcAvailable: boolean;
}

const MB = 1024 * 1024;

function collect(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return false;
  gc();
  gc();
  return true;
}

async function measure(n: number, sampleEvery: number): Promise<MemoryResult> {
  const t0 = performance.now();
  const emu = createEmulator({ rateLimit: false });
  await seedUsers(emu, n);
  const talk = createClient({
    appId: emu.appId,
    secretKey: emu.secretKey,
    baseUrl: emu.baseUrl,
    fetch: emu.fetch,
    limiter: false,
  });
  // One page first, so code paths are compiled before the baseline.
  for await (const _ of listAll(talk.users.list, { maxItems: 200 })) {
    // warm-up
  }
  const seedSeconds = (performance.now() - t0) / 1000;
  const gcAvailable = collect();
  const base = Deno.memoryUsage();
  let maxRss = base.rss;
  let maxRawRss = base.rss;
  let maxHeap = base.heapUsed;
  let count = 0;
  const t1 = performance.now();
  for await (const user of listAll(talk.users.list)) {
    if (!user.id) throw new Error("a record without an id");
    count++;
    if (count % 1000 === 0) {
      maxRawRss = Math.max(maxRawRss, Deno.memoryUsage().rss);
    }
    if (count % sampleEvery === 0) {
      collect();
      const m = Deno.memoryUsage();
      maxRss = Math.max(maxRss, m.rss);
      maxHeap = Math.max(maxHeap, m.heapUsed);
    }
  }
  const streamSeconds = (performance.now() - t1) / 1000;
  collect();
  const end = Deno.memoryUsage();
  maxRss = Math.max(maxRss, end.rss);
  return {
    n,
    count,
    baselineMb: base.rss / MB,
    growthMb: (maxRss - base.rss) / MB,
    rawPeakGrowthMb: (Math.max(maxRawRss, maxRss) - base.rss) / MB,
    endGrowthMb: (end.rss - base.rss) / MB,
    heapGrowthMb: (maxHeap - base.heapUsed) / MB,
    seedSeconds,
    streamSeconds,
    gcAvailable,
  };
}

/** What a child process reports for calls queued behind the limiter. */
export interface QueuedResult {
  n: number;
  /** V8 used heap growth per call, after GC, with N calls pending. */
  bytesPerCall: number;
  /** The same for N bare pending promises in a `Promise.all`. */
  barePerCall: number;
  /** Calls still waiting in the limiter when measured. */
  pending: number;
}

function heapAfterGc(): number {
  collect();
  return Deno.memoryUsage().heapUsed;
}

/**
 * Heap per queued call: `Promise.all(ids.map((id) => talk.users.get(id)))`
 * through a default client (limiter and retry on) whose fetch never
 * answers, so the burst stays in flight and the rest wait in the queue.
 * Beside it, the same `Promise.all` over bare pending promises.
 */
async function measureQueued(n: number): Promise<QueuedResult> {
  const ids = Array.from({ length: n }, (_, i) => `user-${i}`);
  const bareBase = heapAfterGc();
  const bare = Promise.all(ids.map(() => new Promise(() => {})));
  const barePerCall = (heapAfterGc() - bareBase) / n;
  bare.catch(() => {});
  const limiter = createLimiter({ key: "queued" });
  const paced = createClient({
    appId: "tBenchQueued",
    secretKey: "sk_test_bench_queued_0123456789",
    // Never answers: every call stays pending (the burst in flight, the
    // rest queued) until the process exits.
    fetch: () => new Promise<Response>(() => {}),
    limiter,
  });
  // Warm the code paths (and the key import) on a few calls first.
  for (let i = 0; i < 3; i++) paced.users.get(`warm-${i}`).catch(() => {});
  await new Promise((resolve) => setTimeout(resolve, 50));
  const base = heapAfterGc();
  const all = Promise.all(ids.map((id) => paced.users.get(id)));
  await new Promise((resolve) => setTimeout(resolve, 100));
  const bytesPerCall = (heapAfterGc() - base) / n;
  all.catch(() => {});
  return { n, bytesPerCall, barePerCall, pending: limiter.pending };
}

async function child(n: number, mode = "stream"): Promise<unknown> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      new URL(import.meta.url).pathname,
      String(n),
      mode,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`The memory benchmark for N=${n} failed:\n${text}`);
  }
  return JSON.parse(text.trim().split("\n").at(-1)!);
}

/**
 * Streams each N in its own child process and compares the growths.
 *
 * @param sizes The two N, smaller first.
 * @param limitMb The growth target.
 * @returns The section of the table.
 */
export async function memory(
  sizes: [number, number],
  limitMb: number,
  queuedCalls: number,
  bytesPerQueuedCall: number,
): Promise<Section> {
  const small = await child(sizes[0]) as MemoryResult;
  const large = await child(sizes[1]) as MemoryResult;
  const queued = await child(queuedCalls, "queued") as QueuedResult;
  const mb = (x: number) => `${x.toFixed(1)} MB`;
  const k = (n: number) => `${n / 1000}k`;
  const independent = large.growthMb - small.growthMb < 5;
  const rows: Row[] = [{
    benchmark: `memory: RSS growth streaming ${k(large.n)} vs ${
      k(small.n)
    } records (after GC)`,
    ours: `${mb(large.growthMb)} (${k(large.n)})`,
    comparison: `${mb(small.growthMb)} (${k(small.n)})`,
    ratio: small.growthMb > 0.05
      ? (large.growthMb / small.growthMb).toFixed(3)
      : "—",
    target: `< ${limitMb} MB each, difference < 5 MB`,
    met: large.growthMb < limitMb && small.growthMb < limitMb && independent &&
      large.count === large.n && small.count === small.n,
    data: { small, large },
  }, {
    benchmark:
      "memory: largest RSS growth without forcing GC (garbage included)",
    ours: `${mb(large.rawPeakGrowthMb)} (${k(large.n)})`,
    comparison: `${mb(small.rawPeakGrowthMb)} (${k(small.n)})`,
    ratio: small.rawPeakGrowthMb > 0.05
      ? (large.rawPeakGrowthMb / small.rawPeakGrowthMb).toFixed(3)
      : "—",
    target: "—",
    met: null,
  }, {
    benchmark: `memory: heap per call queued behind the limiter (${
      k(queued.n)
    } calls in one Promise.all)`,
    ours: `${Math.round(queued.bytesPerCall)} B per call (${
      mb(queued.bytesPerCall * queued.n / MB)
    })`,
    comparison: `bare pending promises: ${
      Math.round(queued.barePerCall)
    } B per call`,
    ratio: (queued.bytesPerCall / bytesPerQueuedCall).toFixed(3) +
      " × target",
    target: `≤ ${bytesPerQueuedCall} B per call`,
    met: queued.bytesPerCall <= bytesPerQueuedCall &&
      queued.pending >= queued.n - 1000,
    data: { ...queued },
  }];
  const notes = [
    `Memory: each N in a child process (deno run --v8-flags=--expose-gc bench/memory.ts N${
      large.gcAvailable ? "" : "; gc() was NOT available"
    }). The emulator (same process) is seeded with N users first and holds them; baseline = RSS after seeding, one warm-up page and a forced GC (${
      mb(small.baselineMb)
    } and ${
      mb(large.baselineMb)
    }). Growth = largest RSS after a forced GC, sampled every 5,000 records while listAll(talk.users.list) streamed them (client: limiter false, retry on), minus the baseline; each record is counted and dropped. V8 used heap grew at most ${
      mb(small.heapGrowthMb)
    } / ${mb(large.heapGrowthMb)}; RSS after the stream ended ${
      mb(small.endGrowthMb)
    } / ${mb(large.endGrowthMb)} above the baseline. Streaming took ${
      small.streamSeconds.toFixed(1)
    } s / ${large.streamSeconds.toFixed(1)} s.`,
  ];
  return { name: "memory", rows, notes };
}

if (import.meta.main) {
  const n = Number(Deno.args[0] ?? "50000");
  const result = Deno.args[1] === "queued"
    ? await measureQueued(n)
    : await measure(n, 5000);
  console.log(JSON.stringify(result));
  // Queued calls never settle: leave without waiting for them.
  Deno.exit(0);
}
