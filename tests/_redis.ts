/**
 * A real Redis server for the tests and the bench, on loopback.
 *
 * `.ci/run` starts one and passes its port in `TALKJS_TEST_REDIS_PORT`;
 * without it, each test starts its own `redis-server` when one is on PATH.
 * With neither, Redis tests are skipped with the reason printed, except in
 * CI (`CI=true`), where they fail.
 *
 * @module
 */
import { Redis } from "npm:ioredis@6.0.0";
import { createClient as createNodeRedis } from "npm:redis@6.3.1";
import type { RedisLike } from "../src/redis_store.ts";

/** A Redis server the tests may use. */
export interface RedisServer {
  port: number;
  /** Stops the server if the caller started it; does nothing to a shared one. */
  stop(): Promise<void>;
}

const sharedPort = Deno.env.get("TALKJS_TEST_REDIS_PORT");
const inCi = Deno.env.get("CI") === "true";

/** Where `redis-server` is on PATH, if it is. */
export function findRedisServer(): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      if (Deno.statSync(`${dir}/redis-server`).isFile) {
        return `${dir}/redis-server`;
      }
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

const binary = findRedisServer();

/** Sends PING on a fresh connection; true on +PONG, within `ms`. */
async function pings(port: number, ms: number): Promise<boolean> {
  let conn: Deno.TcpConn | undefined;
  const timer = setTimeout(() => conn?.close(), ms);
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buf = new Uint8Array(16);
    const n = await conn.read(buf);
    return new TextDecoder().decode(buf.subarray(0, n ?? 0)).startsWith(
      "+PONG",
    );
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch {
      // Closed by the timer.
    }
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Starts a `redis-server` of our own on a free loopback port (no
 * persistence) and waits, at most 10 s, until it answers PING.
 *
 * @param port The port, e.g. to restart on the same one.
 */
export async function startRedis(port = freePort()): Promise<RedisServer> {
  if (!binary) throw new Error("redis-server is not on PATH");
  const child = new Deno.Command(binary, {
    args: [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await child.status;
  };
  const deadline = Date.now() + 10_000;
  while (!(await pings(port, 500))) {
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not answer on port ${port} in 10 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { port, stop };
}

/** The shared server of `.ci/run`, or one of our own. */
export function useRedis(): Promise<RedisServer> {
  if (sharedPort) {
    return Promise.resolve({
      port: Number(sharedPort),
      stop: () => Promise.resolve(),
    });
  }
  return startRedis();
}

/** Why Redis tests cannot run here, or undefined when they can. */
export function missingRedis(ownServer: boolean): string | undefined {
  if (binary || (sharedPort && !ownServer)) return undefined;
  return ownServer
    ? "no redis-server on PATH to start and stop (apt-get install redis-server)"
    : "no redis-server on PATH and TALKJS_TEST_REDIS_PORT unset (apt-get install redis-server, or .ci/run)";
}

const warned = new Set<string>();

/**
 * Deno.test for a test that needs Redis (its own server, to stop it, with
 * `ownServer`). Without one it is skipped with the reason printed, or fails
 * in CI.
 */
export function redisTest(
  name: string,
  fn: () => Promise<void>,
  { ownServer = false }: { ownServer?: boolean } = {},
): void {
  const missing = missingRedis(ownServer);
  if (missing && !inCi) {
    if (!warned.has(missing)) {
      warned.add(missing);
      console.warn(`Skipping Redis tests: ${missing}.`);
    }
    Deno.test({ name, ignore: true, fn: () => {} });
    return;
  }
  Deno.test(name, async () => {
    if (missing) {
      throw new Error(`Redis is required in CI (CI=true): ${missing}`);
    }
    await fn();
  });
}

/** A connection through ioredis and its adapter, as the README shows it. */
export async function ioredisClient(
  port: number,
  options: Record<string, unknown> = {},
): Promise<{ redis: Redis; client: RedisLike; close(): Promise<void> }> {
  const redis = new Redis(port, "127.0.0.1", { lazyConnect: true, ...options });
  // A stopped server is part of some tests: no "Unhandled error event" log.
  redis.on("error", () => {});
  await redis.connect();
  return {
    redis,
    client: {
      eval: (script, keys, args) =>
        redis.eval(script, keys.length, ...keys, ...args),
    },
    // Not QUIT: with the server stopped, it would wait for a reconnection.
    close: () => Promise.resolve(redis.disconnect()),
  };
}

/** A connection through node-redis and its adapter, as the README shows it. */
export async function nodeRedisClient(
  port: number,
): Promise<{ client: RedisLike; close(): Promise<void> }> {
  const redis = await createNodeRedis({ url: `redis://127.0.0.1:${port}` })
    .connect();
  return {
    client: {
      eval: (script, keys, args) =>
        redis.eval(script, { keys, arguments: args }),
    },
    close: async () => {
      await redis.close();
    },
  };
}

/**
 * Bundles tests/fixtures/redis_worker.ts (our code and ioredis) into one
 * file that Node runs; answers its path.
 */
export async function bundleWorker(dir: string): Promise<string> {
  const out = `${dir}/redis_worker.mjs`;
  const worker = new URL("./fixtures/redis_worker.ts", import.meta.url)
    .pathname;
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--platform", "node", "-o", out, worker],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `deno bundle of the Redis worker failed: ${
        new TextDecoder().decode(stderr)
      }`,
    );
  }
  return out;
}

/** What one worker process printed. */
export interface WorkerResult {
  times: number[];
  failed: number;
}

/**
 * Runs `config` in `processes` Node processes at once, each killed after
 * `timeoutMs`; answers what each printed.
 */
export async function runWorkers(
  bundle: string,
  configs: Record<string, unknown>[],
  timeoutMs: number,
): Promise<WorkerResult[]> {
  return await Promise.all(configs.map(async (config) => {
    const child = new Deno.Command("node", {
      args: [bundle, JSON.stringify(config)],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    try {
      const { code, stdout, stderr } = await child.output();
      const out = new TextDecoder().decode(stdout);
      if (code !== 0) {
        throw new Error(
          `A Redis worker exited with ${code}${
            code === 137 ? ` (killed after ${timeoutMs} ms)` : ""
          }: ${new TextDecoder().decode(stderr)}${out}`,
        );
      }
      return JSON.parse(out) as WorkerResult;
    } finally {
      clearTimeout(timer);
    }
  }));
}

/**
 * The most grants any window of the sorted `times` holds beyond what the
 * budget allows (burst + perSecond × (window + toleranceMs)), with the
 * window where it happens; 0 when every window is within budget.
 */
export function worstWindow(
  times: readonly number[],
  burst: number,
  perSecond: number,
  toleranceMs: number,
): { excess: number; count: number; windowMs: number } {
  const sorted = [...times].sort((a, b) => a - b);
  let worst = { excess: 0, count: 0, windowMs: 0 };
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      const windowMs = sorted[j]! - sorted[i]!;
      const count = j - i + 1;
      const excess = count -
        (burst + perSecond * (windowMs + toleranceMs) / 1000);
      if (excess > worst.excess) worst = { excess, count, windowMs };
    }
  }
  return worst;
}
