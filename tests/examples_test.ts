// The examples, run under Deno against the emulator. The same examples run in
// Bun and workerd in `deno task test:runtimes` (runtimes/run.ts).
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { jwtVerify } from "jose";
import { memoryStore, type WebhookEvent } from "../mod.ts";
import { createEmulator, createManualClock } from "../testing.ts";
import { createSupportApp } from "../examples/deno_deploy.ts";
import { importUsers, loadUsers } from "../examples/bun_import.ts";
import worker, { type Env } from "../examples/worker/src/index.ts";
import { startEmulator, startServed } from "./_served.ts";
import {
  type DurableObjectNamespaceLike,
  durableObjectStore,
  TalkJsLimiter,
} from "../examples/worker/src/limiter_object.ts";
import { captureConsole } from "./_console.ts";

const encoder = new TextEncoder();

function sign(
  secret: string,
  body: string,
  timestamp = Date.now(),
): Record<string, string> {
  const signature = createHmac("sha256", secret).update(`${timestamp}.${body}`)
    .digest("hex");
  return {
    "x-talkjs-timestamp": String(timestamp),
    "x-talkjs-signature": signature.toUpperCase(),
  };
}

/**
 * Collects `waitUntil` work, as Workers' execution context does; like
 * workerd's, its methods need their receiver (an unbound call throws).
 */
function executionContext() {
  class Context {
    readonly pending: Promise<unknown>[] = [];
    waitUntil(promise: Promise<unknown>) {
      this.pending.push(promise);
    }
    passThroughOnException() {}
    props = {};
  }
  const ctx = new Context();
  return { ctx, settled: () => Promise.all(ctx.pending) };
}

/** Durable Objects in this process: one `TalkJsLimiter` per name, over a Map. */
function durableObjects(): DurableObjectNamespaceLike {
  const objects = new Map<string, TalkJsLimiter>();
  return {
    idFromName: (name) => name,
    get(id: string) {
      let object = objects.get(id);
      if (!object) {
        const data = new Map<string, unknown>();
        object = new TalkJsLimiter({
          storage: {
            get: (key) => Promise.resolve(data.get(key)),
            put: (key, value) => Promise.resolve(void data.set(key, value)),
          },
        });
        objects.set(id, object);
      }
      const target = object;
      return { fetch: (url, init) => target.fetch(new Request(url, init)) };
    },
  };
}

// ---------------------------------------------------------------- deno_deploy.ts
Deno.test("examples/deno_deploy.ts issues user tokens to the signed-in user only", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const app = createSupportApp({
      appId: "tDeploy",
      secretKey: "sk_test_deploy",
      kv,
    });
    const res = await app.request("/talkjs/token", {
      headers: { "x-user-id": "alice" },
    });
    assert.equal(res.status, 200);
    const { token } = await res.json();
    const { payload } = await jwtVerify(
      token,
      encoder.encode("sk_test_deploy"),
      {
        issuer: "tDeploy",
      },
    );
    assert.equal(payload.sub, "alice");
    assert.equal((await app.request("/talkjs/token")).status, 401);
  } finally {
    kv.close();
  }
});

Deno.test("examples/deno_deploy.ts handles each webhook event once and refuses forgeries", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const handled: WebhookEvent[] = [];
    const app = createSupportApp({
      appId: "tDeploy",
      secretKey: "sk_test_deploy",
      kv,
      onEvent: (event) => void handled.push(event),
    });
    const body = JSON.stringify({
      id: "evt_1",
      type: "user.updated",
      data: { user: { id: "a" } },
    });
    const { ctx, settled } = executionContext();
    for (let i = 0; i < 2; i++) {
      const res = await app.fetch(
        new Request("http://x/talkjs/events", {
          method: "POST",
          body,
          headers: sign("sk_test_deploy", body),
        }),
        {},
        ctx,
      );
      assert.equal(res.status, 200);
    }
    await settled();
    assert.deepEqual(handled.map((e) => e.id), ["evt_1"]);

    const forged = await app.request("/talkjs/events", {
      method: "POST",
      body: body.replace("evt_1", "evt_2"),
      headers: sign("sk_test_deploy", body),
    });
    assert.equal(forged.status, 401);
    assert.equal((await forged.json()).reason, "bad_signature");
  } finally {
    kv.close();
  }
});

Deno.test("examples/deno_deploy.ts receives the emulator's events and handles each once, though a late answer makes the emulator send one again", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    // Started at the real time: the example verifies timestamps on the system clock.
    const clock = createManualClock(Date.now());
    const handled: WebhookEvent[] = [];
    const { ctx, settled } = executionContext();
    const emu = createEmulator({
      clock,
      webhooks: {
        url: "https://support.example/talkjs/events",
        // The app's answer to the first message.sent is late (6 s, past
        // TalkJS's 5), so the emulator sends that event again.
        fetch: async (request) => {
          const { type } = JSON.parse(await request.clone().text());
          const response = await app.fetch(request, {}, ctx);
          if (type === "message.sent" && late++ === 0) await clock.sleep(6_000);
          return response;
        },
      },
    });
    let late = 0;
    const app = createSupportApp({
      appId: emu.appId,
      secretKey: emu.secretKey,
      kv,
      baseUrl: emu.baseUrl,
      fetch: emu.fetch,
      onEvent: (event) => void handled.push(event),
    });
    const res = await app.request("/api/support", {
      method: "POST",
      headers: { "x-user-id": "bob", "content-type": "application/json" },
      body: JSON.stringify({ name: "Bob", text: "Where is my parcel?" }),
    });
    assert.equal(res.status, 200);
    const flushed = emu.webhooks.flush();
    // Bounded: at most 500 macrotask turns for the in-process requests.
    for (let i = 0; late === 0 || clock.pending < 2; i++) {
      assert.ok(i < 500, "the first message.sent never reached the app");
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await clock.advance(5_000); // the emulator stops waiting
    await clock.advance(1_000); // and retries, 1 s later
    await flushed;
    await settled();
    const [user, message] = emu.webhooks.deliveries;
    assert.deepEqual(
      [user?.type, user?.state, user?.attempts],
      ["user.created", "delivered", 1],
    );
    assert.deepEqual(
      [message?.type, message?.state, message?.attempts, message?.error],
      ["message.sent", "delivered", 2, undefined],
    );
    // Sent twice, handled once: the example remembers event IDs in KV.
    assert.equal(late, 2);
    assert.deepEqual(
      handled.map((e) => [e.type, e.id]),
      [["user.created", user!.id], ["message.sent", message!.id]],
    );
    const sent = handled[1];
    assert.ok(sent?.type === "message.sent");
    assert.equal(sent.data.message.text, "Where is my parcel?");
    assert.equal(sent.data.sender?.name, "Bob");
  } finally {
    kv.close();
  }
});

Deno.test("examples/deno_deploy.ts posts through c.var.talkjs, paced by a limiter in KV", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const emu = createEmulator();
    const app = createSupportApp({
      appId: emu.appId,
      secretKey: emu.secretKey,
      kv,
      baseUrl: emu.baseUrl,
      fetch: emu.fetch,
    });
    const res = await app.request("/api/support", {
      method: "POST",
      headers: { "x-user-id": "bob", "content-type": "application/json" },
      body: JSON.stringify({ name: "Bob", text: "Where is my parcel?" }),
    });
    assert.deepEqual(await res.json(), { conversationId: "support_bob" });
    assert.deepEqual(emu.store.messages("support_bob").map((m) => m.text), [
      "Where is my parcel?",
    ]);
    // The limiter booked its slots in KV, where every isolate sees them.
    const tat =
      (await kv.get<number>(["talkjs-rest", "limiter", emu.appId])).value;
    assert.equal(typeof tat, "number");
  } finally {
    kv.close();
  }
});

Deno.test("examples/deno_deploy.ts answers a 500 naming what is missing without credentials", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const app = createSupportApp({
      appId: undefined,
      secretKey: undefined,
      kv,
    });
    // talkjs() logs the misconfiguration: expected here.
    const res = await captureConsole(
      () => app.request("/api/support", { method: "POST", body: "{}" }),
      ["error"],
    );
    assert.equal(res.status, 500);
    assert.match((await res.json()).error, /TALKJS_APP_ID/);
  } finally {
    kv.close();
  }
});

Deno.test("examples/deno_deploy.ts, run as its doc says, serves against deno task emulator through TALKJS_BASE_URL", async () => {
  await using emulator = await startEmulator();
  {
    await using server = await startServed(
      [
        "run",
        "--allow-net",
        "--allow-env",
        "--allow-read",
        "--allow-write",
        "--unstable-kv",
        "examples/deno_deploy.ts",
      ],
      /Listening on https?:\/\/[^:]+:(\d+)/,
      {
        TALKJS_APP_ID: "tEmulator",
        TALKJS_SECRET_KEY: "sk_test_emulator",
        TALKJS_BASE_URL: emulator.match,
        PORT: "0",
      },
    );
    const base = `http://127.0.0.1:${server.match}`;
    const res = await fetch(`${base}/api/support`, {
      method: "POST",
      headers: { "x-user-id": "carol", "content-type": "application/json" },
      body: JSON.stringify({ name: "Carol", text: "Hello from Deno" }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await res.json(), { conversationId: "support_carol" });
    // What the served emulator now holds.
    const stored = await fetch(
      `${emulator.match}/v1/tEmulator/conversations/support_carol/messages`,
      { headers: { authorization: "Bearer sk_test_emulator" } },
    );
    assert.deepEqual(
      (await stored.json()).data.map((m: { text: string }) => m.text),
      ["Hello from Deno"],
    );
    const token = await fetch(`${base}/talkjs/token`, {
      headers: { "x-user-id": "carol" },
    });
    const { payload } = await jwtVerify(
      (await token.json()).token,
      encoder.encode("sk_test_emulator"),
    );
    assert.deepEqual([payload.iss, payload.sub], ["tEmulator", "carol"]);
  }
});

// ---------------------------------------------------------------- bun_import.ts
Deno.test("examples/bun_import.ts imports users in chunks of 100, reporting progress", async () => {
  const emu = createEmulator();
  const { createClient } = await import("../mod.ts");
  const talk = createClient({
    appId: emu.appId,
    secretKey: emu.secretKey,
    baseUrl: emu.baseUrl,
    fetch: emu.fetch,
  });
  const progress: number[] = [];
  const summary = await importUsers(
    talk,
    await loadUsers(undefined, 250),
    (p) => {
      progress.push(p.done);
    },
  );
  assert.deepEqual(progress, [100, 200, 250]);
  assert.equal(summary.users, 250);
  assert.equal(summary.requests, 3);
  assert.equal(emu.store.users().length, 250);
  assert.equal(emu.store.user("user-250")?.name, "Sample User 250");
});

Deno.test("examples/bun_import.ts reads users from an array or an object in JSON", async () => {
  const dir = await Deno.makeTempDir({ prefix: "talkjs-import-" });
  try {
    await Deno.writeTextFile(
      `${dir}/a.json`,
      JSON.stringify([{ id: 7, name: "Ann" }]),
    );
    await Deno.writeTextFile(
      `${dir}/o.json`,
      JSON.stringify({ u7: { name: "Ann" } }),
    );
    assert.deepEqual(await loadUsers(`${dir}/a.json`), {
      "7": { name: "Ann" },
    });
    assert.deepEqual(await loadUsers(`${dir}/o.json`), { u7: { name: "Ann" } });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("examples/bun_import.ts runs as a script against the emulator without credentials", async () => {
  const env = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([name]) =>
      !name.startsWith("TALKJS_")
    ),
  );
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "examples/bun_import.ts"],
    cwd: new URL("..", import.meta.url),
    env: { ...env, NO_COLOR: "1" },
    clearEnv: true,
    stdin: "null",
  }).output();
  const out = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.match(out, /Importing 1000 users into the emulator/);
  assert.match(out, /1000\/1000 users, 10 requests/);
  assert.match(
    out,
    /Imported 1000 users in 10 requests, \d+ ms \(the emulator holds 1000\)/,
  );
});

// ---------------------------------------------------------------- worker
Deno.test("examples/worker TalkJsLimiter books the same slots as memoryStore()", async () => {
  const store = durableObjectStore(durableObjects());
  const reference = memoryStore();
  const random = (() => {
    let seed = 42;
    return () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  })();
  let now = 1_000;
  for (let i = 0; i < 300; i++) {
    now += Math.floor(random() * 150);
    const key = random() < 0.8 ? "app" : "other";
    const options = { now, intervalMs: 1000 / 9, burst: 5 };
    assert.equal(
      await store.reserve(key, options),
      await reference.reserve(key, options),
    );
  }
});

Deno.test("examples/worker TalkJsLimiter refuses a malformed booking with a 400", async () => {
  const object = durableObjects().get("app");
  const res = await object.fetch("https://talkjs-limiter/reserve", {
    method: "POST",
    body: JSON.stringify({ now: 0, intervalMs: 0, burst: 1 }),
  });
  assert.equal(res.status, 400);
  await res.body?.cancel();
  await assert.rejects(
    durableObjectStore({ idFromName: (n) => n, get: () => object }).reserve(
      "app",
      {
        now: 0,
        intervalMs: -1,
        burst: 1,
      },
    ),
    /limiter object answered 400/,
  );
});

Deno.test("examples/worker serves tokens, webhooks and /api through Hono's fetch, and receives the emulator's events", async () => {
  const { ctx, settled } = executionContext();
  let env!: Env;
  // The emulator sends its events to the Worker's webhook route.
  const emu = createEmulator({
    webhooks: {
      url: "https://worker.example/talkjs/events",
      fetch: (request) => worker.fetch(request, env, ctx),
    },
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    emu.app.fetch,
  );
  try {
    env = {
      TALKJS_APP_ID: emu.appId,
      TALKJS_SECRET_KEY: emu.secretKey,
      TALKJS_BASE_URL: `http://127.0.0.1:${server.addr.port}`,
      LIMITER: durableObjects(),
    };
    const call = (path: string, init?: RequestInit) =>
      worker.fetch(new Request(`http://worker${path}`, init), env, ctx);

    const token = await call("/talkjs/token", {
      headers: { "x-user-id": "alice" },
    });
    assert.equal(token.status, 200);
    const { payload } = await jwtVerify(
      (await token.json()).token,
      encoder.encode(emu.secretKey),
    );
    assert.equal(payload.sub, "alice");

    const body = JSON.stringify({
      type: "message.sent",
      data: { conversation: { id: "c1" }, message: { id: "m1" } },
    });
    // The Worker logs each message.sent event it receives.
    const event = await captureConsole(
      () =>
        call("/talkjs/events", {
          method: "POST",
          body,
          headers: sign(emu.secretKey, body),
        }),
      ["log"],
    );
    assert.deepEqual(await event.json(), { received: "message.sent" });

    const logged = await captureConsole(async (calls) => {
      const support = await call("/api/support", {
        method: "POST",
        headers: { "x-user-id": "carol", "content-type": "application/json" },
        body: JSON.stringify({ name: "Carol", text: "Hello" }),
      });
      assert.deepEqual(await support.json(), {
        conversationId: "support_carol",
      });
      await emu.webhooks.flush();
      await settled();
      return calls.map((args) => args.join(" "));
    }, ["log"]);
    const [message] = emu.store.messages("support_carol");
    assert.equal(message?.text, "Hello");
    // Each event verified by the Worker's talkjsWebhook() and answered 200.
    assert.deepEqual(
      emu.webhooks.deliveries.map((d) => [d.type, d.status, d.attempts]),
      [["user.created", 200, 1], ["message.sent", 200, 1]],
    );
    assert.deepEqual(logged, [`New message in support_carol: ${message!.id}`]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("examples/worker answers a 500 naming a missing or malformed limiter binding", async () => {
  const emu = createEmulator();
  const good: Env = {
    TALKJS_APP_ID: emu.appId,
    TALKJS_SECRET_KEY: emu.secretKey,
    TALKJS_BASE_URL: emu.baseUrl,
    LIMITER: durableObjects(),
  };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ LIMITER: undefined }, /binding LIMITER is missing/],
    [
      { LIMITER_BURST: "lots" },
      /LIMITER_BURST must be an integer >= 1.*"lots"/,
    ],
    [{ LIMITER_BURST: "2.5" }, /LIMITER_BURST/],
    [{ LIMITER_BURST: "" }, /LIMITER_BURST/],
    [{ LIMITER_PER_SECOND: "0" }, /LIMITER_PER_SECOND must be a positive/],
    [{ LIMITER_PER_SECOND: "Infinity" }, /LIMITER_PER_SECOND/],
  ];
  const logged = await captureConsole(async (calls) => {
    for (const [change, message] of cases) {
      const env = { ...good, ...change } as unknown as Env;
      const res = await worker.fetch(
        new Request("http://worker/api/support", {
          method: "POST",
          headers: { "x-user-id": "dave", "content-type": "application/json" },
          body: JSON.stringify({ name: "Dave", text: "Hi" }),
        }),
        env,
        executionContext().ctx,
      );
      assert.equal(res.status, 500, JSON.stringify(change));
      assert.match((await res.json()).error, message);
    }
    return calls;
  }, ["error"]);
  assert.equal(logged.length, cases.length);
  assert.equal(emu.store.users().length, 0, "nothing reached TalkJS");
});
