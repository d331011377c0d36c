/**
 * A fleet on one Redis budget: P Node processes, each with its own ioredis
 * connection and its own limiter on `redisStore`, together send N requests to
 * one emulator (over loopback HTTP) that enforces the budget (a token bucket
 * of `burst`, refilling `perSecond`, no queue). The fastest the fleet can go
 * without a 429 is what one client can: the last request arrives
 * (N − burst) / perSecond after the first. Beside it, the same fleet with a
 * limiter per process (`memoryStore`, no shared budget). Skipped, with the
 * reason, where no redis-server can be started.
 *
 * @module
 */
import { createEmulator } from "../testing.ts";
import {
  bundleWorker,
  missingRedis,
  runWorkers,
  useRedis,
} from "../tests/_redis.ts";
import { ratio, type Row, seconds, type Section } from "./_report.ts";

/** The shape of the benchmark. */
export interface FleetOptions {
  processes: number;
  /** Requests in all, split evenly between the processes. */
  n: number;
  burst: number;
  perSecond: number;
  /** Requests the server holds beyond its burst instead of refusing them. */
  queue: number;
}

interface FleetRun {
  /** From the first request's arrival at the server to the last one's, in ms. */
  elapsedMs: number;
  rateLimited: number;
  failed: number;
  /** The most requests the server's queue held at once. */
  held: number;
}

/** One request as the server saw it. */
interface Arrival {
  /** Date.now() when it came in. */
  t: number;
  status: number;
}

/**
 * Replays the server's bucket in exact integer arithmetic (whole ms, tokens
 * in thousandths; perSecond must be an integer): the most admitted requests
 * it held in its queue at once, borrowing against future refills.
 */
export function mostHeld(
  arrivals: readonly Arrival[],
  burst: number,
  perSecond: number,
): number {
  let tokens = burst * 1000;
  let last: number | undefined;
  let held = 0;
  for (const { t, status } of arrivals) {
    last ??= t;
    tokens = Math.min(burst * 1000, tokens + Math.max(0, t - last) * perSecond);
    last = t;
    if (status !== 200) continue;
    tokens -= 1000;
    held = Math.max(held, Math.ceil(-tokens / 1000));
  }
  return held;
}

async function runFleet(
  bundle: string,
  port: number,
  store: "redis" | "memory",
  { processes, n, burst, perSecond, queue }: FleetOptions,
): Promise<FleetRun> {
  const emu = createEmulator({ rateLimit: { burst, perSecond, queue } });
  const arrivals: Arrival[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      if (new URL(request.url).pathname.startsWith("/warm-up/")) {
        return Response.json({ data: [] });
      }
      const arrival = { t: Date.now(), status: 0 };
      arrivals.push(arrival);
      const response = await emu.app.fetch(request);
      arrival.status = response.status;
      return response;
    },
  );
  try {
    // Node takes a while to start: every process begins at this moment.
    const startAt = Date.now() + 2_000;
    const prefix = `talkjs-rest-bench:${crypto.randomUUID()}:`;
    const results = await runWorkers(
      bundle,
      Array.from({ length: processes }, () => ({
        port,
        prefix,
        count: n / processes,
        burst,
        perSecond,
        startAt,
        baseUrl: `http://127.0.0.1:${server.addr.port}`,
        appId: emu.appId,
        secretKey: emu.secretKey,
        store,
      })),
      60_000,
    );
    return {
      elapsedMs: (arrivals.at(-1)?.t ?? 0) - (arrivals[0]?.t ?? 0),
      rateLimited: emu.stats.rateLimited,
      failed: results.reduce((sum, r) => sum + r.failed, 0),
      held: mostHeld(arrivals, burst, perSecond),
    };
  } finally {
    await server.shutdown();
  }
}

/**
 * Runs the fleet on one Redis budget, then without a shared store.
 *
 * @param options Processes, N, burst and rate.
 * @returns The section of the table.
 */
export async function redisFleet(options: FleetOptions): Promise<Section> {
  const { processes, n, burst, perSecond, queue } = options;
  const what =
    `redis fleet ${processes} Node processes, N=${n}, burst ${burst}, ${perSecond}/s`;
  const missing = missingRedis(false);
  if (missing) {
    return {
      name: "redis",
      rows: [{
        benchmark: `${what}: skipped`,
        ours: "—",
        comparison: "—",
        ratio: "—",
        target: "—",
        met: null,
      }],
      notes: [`Redis fleet skipped: ${missing}.`],
    };
  }
  const idealMs = (n - burst) / perSecond * 1000;
  const redis = await useRedis();
  const dir = await Deno.makeTempDir({ prefix: "talkjs-bench-redis-" });
  try {
    const bundle = await bundleWorker(dir);
    const shared = await runFleet(bundle, redis.port, "redis", options);
    const alone = await runFleet(bundle, redis.port, "memory", options);
    const result = (run: FleetRun) =>
      `${seconds(run.elapsedMs)}, ${run.rateLimited}×429, ${run.held} held`;
    const rows: Row[] = [{
      benchmark: `${what}: last request vs ideal`,
      ours: result(shared),
      comparison: `ideal ${seconds(idealMs)}, 0×429, 0 held`,
      ratio: ratio(shared.elapsedMs, idealMs),
      target: "≤ 1.050, 0×429",
      met: shared.elapsedMs <= idealMs * 1.05 && shared.rateLimited === 0 &&
        shared.failed === 0,
      data: { idealMs, ...shared },
    }, {
      benchmark: `${what}: vs a limiter per process (memoryStore)`,
      ours: result(shared),
      comparison: result(alone),
      ratio: "—",
      target: "—",
      met: null,
      data: { idealMs, ...alone },
    }];
    const notes = [
      `Redis fleet: ${processes} Node processes (a \`deno bundle\` of tests/fixtures/redis_worker.ts), each with its own ioredis connection to one local redis-server and its own limiter (createLimiter({ burst: ${burst}, perSecond: ${perSecond} }), default slackMs) on redisStore, send ${
        n / processes
      } users.list calls each (retry: false, so a 429 is counted) to one emulator over loopback HTTP with rateLimit { burst: ${burst}, perSecond: ${perSecond}, queue: ${queue} }, all from one agreed moment. Before it each warms up, as the pacing row does: ${burst} calls through a client, a limiter and the store on another key, to /warm-up/*, which the bench's server answers itself outside the rate limit. elapsed = from the first request's arrival at the server to the last one's (on a loaded machine the processes wake some 100 ms after the agreed moment, which is no limiter's doing); ideal = (N − burst) / perSecond = ${
        seconds(idealMs)
      }. The second row is the same fleet with a limiter per process (memoryStore): each paces itself alone, together they overshoot.`,
      `Redis fleet: the server holds ${queue} requests beyond its burst, in TalkJS's proportion (it queues 100 beyond a burst of 500), so that the delay between a slot and the arrival of its request on a loaded 2-core machine (4 processes and the server) is held, not refused, as TalkJS would. "held" is the most requests the queue held at once (an exact replay of the bucket at the arrival times): the burst's own requests reach the server some ms after their slots, the refill the full bucket cannot hold meanwhile is lost, and a paced request can then arrive a little before its token. With queue 0 some runs on a loaded machine met a 429 there; at 40/s (default slackMs 12.5 ms instead of 50 ms at this rate) more did, whatever the store.`,
    ];
    return { name: "redis", rows, notes };
  } finally {
    await Deno.remove(dir, { recursive: true });
    await redis.stop();
  }
}
