/**
 * The smoke scenario every runtime runs against the bundled module (built by
 * `runtimes/run.ts` into `.tools/dist/`): the client against the in-process
 * emulator (CRUD, `putMany`, `listAll`, retries, timeouts, errors), the
 * limiter's pacing, user tokens and webhook verification. Plain JavaScript
 * on web globals only, so Node 20, Bun and workerd run this very file. Tokens
 * and webhook signatures are checked with Web Crypto here, independently of
 * the module.
 *
 * @module
 */
import {
  createClient,
  createLimiter,
  createUserToken,
  listAll,
  TalkJsApiError,
  TalkJsTimeoutError,
  TalkJsWebhookError,
  verifyWebhook,
} from "../.tools/dist/mod.js";
import { createEmulator } from "../.tools/dist/testing.js";

const encoder = new TextEncoder();

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function base64UrlDecode(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(b64 + "=".repeat((4 - b64.length % 4) % 4));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

async function hmacKey(secret, usages) {
  return await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    usages,
  );
}

async function hmacHex(secret, text) {
  const mac = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(secret, ["sign"]),
    encoder.encode(text),
  );
  return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

function newEmulatorClient(extra = {}) {
  const emu = createEmulator();
  const talk = createClient({
    appId: emu.appId,
    secretKey: emu.secretKey,
    baseUrl: emu.baseUrl,
    fetch: emu.fetch,
    retry: { minDelayMs: 5, maxDelayMs: 20 },
    ...extra,
  });
  return { emu, talk };
}

const scenario = {
  async "client: users, conversations, messages"() {
    const { talk } = newEmulatorClient();
    await talk.users.put("alice", {
      name: "Alice",
      email: ["alice@example.com"],
    });
    await talk.conversations.put("c/1", {
      participants: ["alice"],
      subject: "Hello",
    });
    await talk.messages.send("c/1", {
      type: "UserMessage",
      sender: "alice",
      text: "Hi",
    });
    const user = await talk.users.get("alice");
    const page = await talk.messages.list({ conversationId: "c/1", limit: 5 });
    check(user.name === "Alice", `users.get answered ${JSON.stringify(user)}`);
    check(
      page.data.length === 1 && page.data[0].text === "Hi",
      `messages.list: ${JSON.stringify(page)}`,
    );
    return "put, get, send and list round-trip (ID with a slash)";
  },

  async "putMany + listAll"() {
    const { emu, talk } = newEmulatorClient();
    const users = {};
    for (let i = 0; i < 250; i++) {
      users[`u${String(i).padStart(3, "0")}`] = { name: `User ${i}` };
    }
    const progress = [];
    await talk.users.putMany(users, {
      onProgress: ({ done }) => progress.push(done),
    });
    const ids = [];
    for await (const user of listAll(talk.users.list)) ids.push(user.id);
    check(progress.join() === "100,200,250", `onProgress saw ${progress}`);
    check(
      ids.length === 250 && new Set(ids).size === 250,
      `listAll yielded ${ids.length} users`,
    );
    const pages = emu.stats.byRoute["GET /users"];
    check(pages === 3, `listAll used ${pages} pages`);
    return "250 users in 3 PUTs, listed back in 3 pages";
  },

  async "errors, retries, timeouts"() {
    const { emu, talk } = newEmulatorClient();
    let error;
    try {
      await talk.users.get("nobody");
    } catch (e) {
      error = e;
    }
    check(
      error instanceof TalkJsApiError && error.status === 404,
      `get of a missing user: ${error}`,
    );
    check(
      !String(error.message).includes(emu.secretKey),
      "the error message holds the secret key",
    );

    await talk.users.put("bob", { name: "Bob" });
    emu.faults.inject({
      status: 503,
      times: 2,
      path: "/users/bob",
      method: "GET",
    });
    const bob = await talk.users.get("bob");
    check(bob.name === "Bob", "no answer after two 503s");
    check(
      emu.stats.byRoute["GET /users/:userId"] === 4,
      "retries were not counted as expected",
    );

    emu.faults.inject({ delayMs: 1000, times: Infinity });
    const slow = createClient({
      appId: emu.appId,
      secretKey: emu.secretKey,
      baseUrl: emu.baseUrl,
      fetch: emu.fetch,
      timeoutMs: 50,
      retry: false,
    });
    let timeout;
    try {
      await slow.users.get("bob");
    } catch (e) {
      timeout = e;
    }
    emu.faults.clear();
    check(
      timeout instanceof TalkJsTimeoutError,
      `a slow answer gave ${timeout}`,
    );
    return "404 as TalkJsApiError, two 503s retried, 50 ms timeout";
  },

  async "limiter pacing"() {
    const limiter = createLimiter({ burst: 2, perSecond: 50 });
    const start = Date.now();
    const times = await Promise.all(
      [0, 1, 2, 3, 4].map(() =>
        limiter.schedule(() => Promise.resolve(Date.now() - start))
      ),
    );
    // Two at once, then one every 20 ms (slots at 20, 40 and 60 ms), run
    // slackMs (10 ms) behind their slots: the fifth goes out at about 70 ms.
    check(times[1] <= 15, `the second request waited ${times[1]} ms (burst 2)`);
    check(times[4] >= 55, `the fifth request went out after ${times[4]} ms`);
    return `5 requests, burst 2, 50/s: at ${times.join(", ")} ms`;
  },

  async "user tokens"() {
    const secretKey = "sk_test_smoke_0123";
    const token = await createUserToken({
      appId: "tSmoke",
      secretKey,
      userId: "alice",
    });
    const [header, payload, signature] = token.split(".");
    const ok = await crypto.subtle.verify(
      "HMAC",
      await hmacKey(secretKey, ["verify"]),
      base64UrlDecode(signature),
      encoder.encode(`${header}.${payload}`),
    );
    const h = JSON.parse(new TextDecoder().decode(base64UrlDecode(header)));
    const p = JSON.parse(new TextDecoder().decode(base64UrlDecode(payload)));
    check(ok, "the HS256 signature does not verify");
    check(h.alg === "HS256", `alg is ${h.alg}`);
    check(
      p.tokenType === "user" && p.sub === "alice" && p.iss === "tSmoke",
      JSON.stringify(p),
    );
    check(p.exp - p.iat === 3600, `lifetime is ${p.exp - p.iat} s`);
    return "HS256 signature verified with Web Crypto; claims user/alice/tSmoke, 1 h";
  },

  async "webhook verification"() {
    const secret = "sk_test_smoke_0123";
    const body = JSON.stringify({
      type: "message.sent",
      data: { message: { id: "m1" } },
    });
    const timestamp = String(Date.now());
    const signature = (await hmacHex(secret, `${timestamp}.${body}`))
      .toUpperCase();
    const headers = {
      "X-TalkJS-Timestamp": timestamp,
      "X-TalkJS-Signature": signature,
    };
    const event = await verifyWebhook({
      secret,
      body: encoder.encode(body),
      headers,
    });
    check(
      event.type === "message.sent",
      `verified event: ${JSON.stringify(event)}`,
    );

    const old = String(Date.now() - 3_600_000);
    const oldSignature = (await hmacHex(secret, `${old}.${body}`))
      .toUpperCase();
    const reasons = [];
    for (
      const [b, h] of [
        [body.replace("m1", "m2"), headers],
        [body, {
          "X-TalkJS-Timestamp": old,
          "X-TalkJS-Signature": oldSignature,
        }],
        [body, { "X-TalkJS-Timestamp": timestamp }],
      ]
    ) {
      try {
        await verifyWebhook({ secret, body: b, headers: new Headers(h) });
        reasons.push("accepted");
      } catch (error) {
        reasons.push(
          error instanceof TalkJsWebhookError ? error.reason : String(error),
        );
      }
    }
    check(
      reasons.join() === "bad_signature,stale_timestamp,missing_signature",
      `refusals: ${reasons}`,
    );
    return "independent HMAC accepted; tampered body, replayed (1 h old), unsigned refused";
  },
};

/**
 * Runs each step of `steps` in order, never throwing.
 *
 * @returns `{ ok, checks: [{ name, ok, ms, detail }] }`.
 */
export async function runSteps(steps) {
  const checks = [];
  for (const [name, step] of Object.entries(steps)) {
    const start = Date.now();
    try {
      const detail = await step();
      checks.push({ name, ok: true, ms: Date.now() - start, detail });
    } catch (error) {
      const detail = error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error);
      checks.push({ name, ok: false, ms: Date.now() - start, detail });
    }
  }
  return { ok: checks.every((c) => c.ok), checks };
}

/**
 * Runs every step of the scenario, never throwing.
 *
 * @returns `{ ok, checks: [{ name, ok, ms, detail }] }`.
 */
export function smoke() {
  return runSteps(scenario);
}
