/**
 * Overhead: sequential GETs against a loopback `Deno.serve` server (in a
 * child process, so it runs on the other core) through the client twice
 * (retry and limiter off; default retry with a limiter that never waits),
 * beside raw `fetch` doing the same mandatory work (a fresh jose token per
 * request, signed with a key imported once as a user who cares would, and a
 * 30 s timeout), the same raw `fetch` again (the noise floor), and raw
 * `fetch` with a fixed bearer header. The variants alternate in blocks of
 * `BLOCK` sequential requests, in a shuffled order; throughput is the
 * block's size / the median block duration (a block's time includes the
 * garbage collection its requests cause, which a single request's median
 * would leave out). Also:
 * app tokens signed per second, ours beside `jsonwebtoken`.
 *
 * @module
 */
import { SignJWT } from "jose";
// @ts-types="npm:@types/jsonwebtoken@9.0.10"
import jwt from "npm:jsonwebtoken@9.0.3";
import { createAppToken, createClient, createLimiter } from "../mod.ts";
import { median, perSecond, type Row, type Section } from "./_report.ts";
import { mulberry32 } from "../tests/_random.ts";

/** The shape of the benchmark. */
export interface OverheadOptions {
  /** GETs per variant. */
  requests: number;
  /** Tokens per variant. */
  tokens: number;
}

const appId = "tBench";
/** Sequential requests per block of a variant. */
const BLOCK = 10;
const secretKey = "sk_test_bench_0123456789abcdef";

async function startServer(): Promise<
  { port: number; stop: () => Promise<void> }
> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      new URL("./_server.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("The loopback server exited before listening");
    text += value;
  }
  reader.releaseLock();
  return {
    port: Number(text.trim()),
    async stop() {
      child.kill("SIGTERM");
      await child.stdout.cancel().catch(() => {});
      await child.status;
    },
  };
}

/**
 * Runs the variants interleaved, `batch` calls of one, then of the next, in
 * a fresh shuffled order every cycle (seeded, so runs repeat), `cycles`
 * times; answers each variant's batch durations in ms. Interleaving this
 * finely keeps the machine's noise the same for every variant; medians drop
 * the stalls. The order is shuffled because a fixed rotation (ABC, BCA, …)
 * always runs a variant after the same neighbour: a variant measured against
 * an identical copy of itself that always ran after it came out 3–11%
 * faster.
 */
async function interleave(
  variants: (() => Promise<void>)[],
  cycles: number,
  batch: number,
): Promise<number[][]> {
  const random = mulberry32(13);
  const durations = variants.map(() => [] as number[]);
  const order = variants.map((_, i) => i);
  for (let c = 0; c < cycles; c++) {
    for (let k = order.length - 1; k > 0; k--) {
      const j = Math.floor(random() * (k + 1));
      [order[k], order[j]] = [order[j]!, order[k]!];
    }
    for (const i of order) {
      const fn = variants[i]!;
      const t = performance.now();
      for (let j = 0; j < batch; j++) await fn();
      durations[i]!.push(performance.now() - t);
    }
  }
  return durations;
}

/** Calls per second from the median batch duration. */
function rate(durations: number[], batch: number): number {
  return batch * 1000 / median(durations);
}

/**
 * Measures request and token throughput.
 *
 * @param options Requests and tokens per variant.
 * @returns The section of the table.
 */
export async function overhead(options: OverheadOptions): Promise<Section> {
  const { requests, tokens } = options;
  const server = await startServer();
  const baseUrl = `http://127.0.0.1:${server.port}`;
  const url = `${baseUrl}/v1/${appId}/users/u1`;
  const secretBytes = new TextEncoder().encode(secretKey);

  // As a user who cares would: the HMAC key imported once, not per token.
  const secretCryptoKey = await crypto.subtle.importKey(
    "raw",
    secretBytes,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );

  const check = (user: { id: string }) => {
    if (user.id !== "u1") throw new Error("wrong answer");
  };
  const bare = createClient({
    appId,
    secretKey,
    baseUrl,
    retry: false,
    limiter: false,
  });
  const talk = createClient({
    appId,
    secretKey,
    baseUrl,
    limiter: createLimiter({ burst: 1e9, perSecond: 1e9 }),
  });
  const viaBare = async () => check(await bare.users.get("u1"));
  const viaClient = async () => check(await talk.users.get("u1"));
  const rawJose = async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ tokenType: "app" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(appId)
      .setIssuedAt(now)
      .setExpirationTime(now + 30)
      .sign(secretCryptoKey);
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, accept: "application/json" },
      signal: AbortSignal.timeout(30_000),
    });
    const user = await res.json();
    if (res.status !== 200 || user.id !== "u1") throw new Error("wrong answer");
  };
  // The same work in a function of its own: its ratio to rawJose is the
  // noise floor of this measurement.
  const rawJoseAgain = async () => await rawJose();
  const fixedHeaders = {
    authorization: `Bearer ${secretKey}`,
    accept: "application/json",
  };
  const rawFixed = async () => {
    const res = await fetch(url, { headers: fixedHeaders });
    const user = await res.json();
    if (res.status !== 200 || user.id !== "u1") throw new Error("wrong answer");
  };

  const variants = [viaBare, viaClient, rawJose, rawJoseAgain, rawFixed];
  let client: number,
    bareClient: number,
    jose: number,
    joseAgain: number,
    fixed: number;
  try {
    await interleave(variants, 20, BLOCK); // warm-up
    [bareClient, client, jose, joseAgain, fixed] = (await interleave(
      variants,
      Math.ceil(requests / BLOCK),
      BLOCK,
    )).map((d) => rate(d, BLOCK)) as [number, number, number, number, number];
  } finally {
    await server.stop();
  }

  const ours = () => createAppToken({ appId, secretKey }).then(() => {});
  const theirs = () => {
    const now = Math.floor(Date.now() / 1000);
    jwt.sign(
      { tokenType: "app", iss: appId, iat: now, exp: now + 30 },
      secretKey,
      { algorithm: "HS256" },
    );
    return Promise.resolve();
  };
  const joseBytes = async () => {
    const now = Math.floor(Date.now() / 1000);
    await new SignJWT({ tokenType: "app" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(appId)
      .setIssuedAt(now)
      .setExpirationTime(now + 30)
      .sign(secretBytes);
  };
  const batch = 100;
  await interleave([ours, theirs, joseBytes], 20, batch); // warm-up
  const [signOurs, signJwt, signJose] = (await interleave(
    [ours, theirs, joseBytes],
    Math.ceil(tokens / batch),
    batch,
  )).map((d) => rate(d, batch)) as [number, number, number];

  const bareVsJose = bareClient / jose;
  const vsJose = client / jose;
  const vsFixed = client / fixed;
  const rows: Row[] = [{
    benchmark:
      `overhead: ${requests} sequential GETs, client (retry and limiter off) vs raw fetch + fresh jose token + timeout`,
    ours: perSecond(bareClient),
    comparison: perSecond(jose),
    ratio: bareVsJose.toFixed(3),
    target: "≥ 0.950",
    met: bareVsJose >= 0.95,
    data: { bareClient, jose, bareVsJose },
  }, {
    benchmark:
      "overhead: client (default retry, a limiter that never waits) vs the same raw fetch",
    ours: perSecond(client),
    comparison: perSecond(jose),
    ratio: vsJose.toFixed(3),
    target: "≥ 0.900",
    met: vsJose >= 0.9,
    data: { client, jose, joseAgain, fixed, vsJose, vsFixed },
  }, {
    benchmark:
      "overhead: raw fetch + fresh jose token + timeout vs the same again (noise floor)",
    ours: perSecond(joseAgain),
    comparison: perSecond(jose),
    ratio: (joseAgain / jose).toFixed(3),
    target: "—",
    met: null,
  }, {
    benchmark:
      "overhead: client (defaults) vs raw fetch with a fixed bearer header",
    ours: perSecond(client),
    comparison: perSecond(fixed),
    ratio: vsFixed.toFixed(3),
    target: "—",
    met: null,
  }, {
    benchmark: "tokens: createAppToken vs jsonwebtoken jwt.sign (HS256)",
    ours: perSecond(signOurs),
    comparison: perSecond(signJwt),
    ratio: (signOurs / signJwt).toFixed(3),
    target: "—",
    met: null,
    data: { ours: signOurs, jsonwebtoken: signJwt, joseBytes: signJose },
  }];
  const notes = [
    `Overhead: a loopback Deno.serve server in a child process answers every GET with the same small JSON user. Client, retry and limiter off: createClient({ retry: false, limiter: false }), 30 s timeout, a fresh app token per request; bare.users.get("u1"). Client, defaults: createClient({ limiter: createLimiter({ burst: 1e9, perSecond: 1e9 }) }) (a limiter that never waits, so the limiter's bookkeeping is measured but not its pacing; the default limiter would pace after 600), default retry and 30 s timeout; talk.users.get("u1"). Raw + jose: the HMAC key imported once (crypto.subtle.importKey), then per request new SignJWT({ tokenType: "app" })…sign(key), fetch with AbortSignal.timeout(30_000), res.json(). Noise floor: the raw + jose variant again, in a function of its own. Fixed: fetch with a constant Authorization header, res.json(). ${requests} requests per variant in blocks of ${BLOCK} sequential requests, one block of each variant in a shuffled order (seeded) per cycle, after 20 warm-up cycles; throughput = ${BLOCK} / the median block duration (a block includes the garbage collection its requests cause; the median keeps a shared machine's stalls out).`,
    `Tokens: createAppToken({ appId, secretKey }) (awaited one at a time; the HMAC key is imported once per secret and cached) vs jwt.sign({ tokenType, iss, iat, exp }, secret, { algorithm: "HS256" }) (synchronous, node:crypto); jose's SignJWT signing from the secret's bytes (a key import per token) makes ${
      perSecond(signJose)
    }. ${tokens} tokens per variant in interleaved batches of ${batch}, after ${
      20 * batch
    } warm-up tokens each; ops/s from the median batch.`,
  ];
  return { name: "overhead", rows, notes };
}
