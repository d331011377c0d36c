import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { Hono } from "hono";
import type { Context, ExecutionContext } from "hono";
import { decodeProtectedHeader, jwtVerify } from "jose";
import {
  talkjs,
  type TalkJsEnv,
  talkjsUserToken,
  talkjsWebhook,
  type TalkJsWebhookEnv,
} from "../hono.ts";
import type { TalkJsClient } from "../src/client.ts";
import type { WebhookEvent } from "../src/webhooks.ts";
import { createManualClock } from "../src/manual_clock.ts";
import { createEmulator } from "../src/emulator/emulator.ts";
import { signWebhook } from "../src/webhooks.ts";
import { captureConsole } from "./_console.ts";

const APP_ID = "tHonoTest";
const SECRET = "sk_test_hono_0123456789";
const encoder = new TextEncoder();

/**
 * A loopback stand-in for api.talkjs.com: checks the app token the way TalkJS
 * does and answers GET /v1/{appId}/users/{id}.
 */
function serveFakeTalkJs(secrets: Record<string, string>) {
  const seen: { appId: string; claims: Record<string, unknown> }[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const match = new URL(req.url).pathname.match(
        /^\/v1\/([^/]+)\/users\/([^/]+)$/,
      );
      if (!match) return Response.json({ error: "not found" }, { status: 404 });
      const appId = decodeURIComponent(match[1]!);
      const secret = secrets[appId];
      const bearer =
        req.headers.get("authorization")?.replace(/^Bearer /, "") ?? "";
      if (!secret) {
        return Response.json({ error: "unknown app" }, {
          status: 401,
        });
      }
      try {
        const { payload } = await jwtVerify(bearer, encoder.encode(secret), {
          issuer: appId,
        });
        if (payload.tokenType !== "app") throw new Error("not an app token");
        seen.push({ appId, claims: payload });
      } catch {
        return Response.json({ error: "bad token" }, { status: 401 });
      }
      const id = decodeURIComponent(match[2]!);
      return Response.json({ id, name: `User ${id}`, createdAt: 1 });
    },
  );
  const { port } = server.addr as Deno.NetAddr;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    seen,
    close: () => server.shutdown(),
  };
}

// ---------------------------------------------------------------- talkjs()

Deno.test("talkjs() puts a client on c.var that calls TalkJS with an app token", async () => {
  const fake = serveFakeTalkJs({ [APP_ID]: SECRET });
  try {
    const app = new Hono()
      .use(
        "/api/*",
        talkjs({ appId: APP_ID, secretKey: SECRET, baseUrl: fake.baseUrl }),
      )
      .get(
        "/api/users/:id",
        async (c) => c.json(await c.var.talkjs.users.get(c.req.param("id"))),
      );

    const res = await app.request("/api/users/alice");
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      id: "alice",
      name: "User alice",
      createdAt: 1,
    });
    assert.equal(fake.seen.length, 1);
    assert.equal(fake.seen[0]!.claims.iss, APP_ID);
  } finally {
    await fake.close();
  }
});

Deno.test("talkjs() keeps one client per app ID across requests", async () => {
  const clients: TalkJsClient[] = [];
  const app = new Hono<TalkJsEnv>();
  app.use(
    "*",
    talkjs({
      fetch: () => Promise.reject(new Error("no network in this test")),
    }),
  );
  app.get("/", (c) => {
    clients.push(c.var.talkjs);
    return c.text(c.var.talkjs.appId);
  });

  const envA = { TALKJS_APP_ID: "tA", TALKJS_SECRET_KEY: "sk_test_a" };
  const envB = { TALKJS_APP_ID: "tB", TALKJS_SECRET_KEY: "sk_test_b" };
  assert.equal(await (await app.request("/", {}, envA)).text(), "tA");
  assert.equal(await (await app.request("/", {}, { ...envA })).text(), "tA");
  assert.equal(await (await app.request("/", {}, envB)).text(), "tB");
  // Concurrent first requests for a new app still share one client.
  const envC = { TALKJS_APP_ID: "tC", TALKJS_SECRET_KEY: "sk_test_c" };
  await Promise.all([1, 2, 3].map(() => app.request("/", {}, envC)));
  assert.equal(await (await app.request("/", {}, envA)).text(), "tA");

  const [a1, a2, b, c1, c2, c3, a3] = clients;
  assert.equal(a1, a2);
  assert.equal(a1, a3);
  assert.notEqual(a1, b);
  assert.equal(b!.appId, "tB");
  assert.equal(c1, c2);
  assert.equal(c1, c3);
  assert.notEqual(c1, a1);
});

Deno.test("talkjs() replaces an app's client when its secret key changes", async () => {
  const clients: TalkJsClient[] = [];
  const app = new Hono<TalkJsEnv>().use("*", talkjs()).get("/", (c) => {
    clients.push(c.var.talkjs);
    return c.body(null, 204);
  });
  await app.request("/", {}, {
    TALKJS_APP_ID: "tA",
    TALKJS_SECRET_KEY: "sk_test_old",
  });
  await app.request("/", {}, {
    TALKJS_APP_ID: "tA",
    TALKJS_SECRET_KEY: "sk_test_new",
  });
  await app.request("/", {}, {
    TALKJS_APP_ID: "tA",
    TALKJS_SECRET_KEY: "sk_test_new",
  });
  assert.notEqual(clients[0], clients[1]);
  assert.equal(clients[1], clients[2]);
});

Deno.test("talkjs() takes appId/secretKey as functions of c, before the bindings", async () => {
  const fake = serveFakeTalkJs({ tOne: "sk_test_one", tTwo: "sk_test_two" });
  try {
    const keys: Record<string, string> = {
      tOne: "sk_test_one",
      tTwo: "sk_test_two",
    };
    const app = new Hono().use(
      "*",
      talkjs({
        appId: (c) => c.req.header("x-tenant"),
        secretKey: async (c) => {
          await Promise.resolve();
          return keys[c.req.header("x-tenant") ?? ""];
        },
        baseUrl: fake.baseUrl,
      }),
    ).get(
      "/:id",
      async (c) => c.json(await c.var.talkjs.users.get(c.req.param("id"))),
    );

    // The function wins over the bindings.
    const env = { TALKJS_APP_ID: "tWrong", TALKJS_SECRET_KEY: "sk_test_wrong" };
    assert.equal(
      (await app.request("/u1", { headers: { "x-tenant": "tOne" } }, env))
        .status,
      200,
    );
    assert.equal(
      (await app.request("/u2", { headers: { "x-tenant": "tTwo" } })).status,
      200,
    );
    assert.deepEqual(fake.seen.map((s) => s.appId), ["tOne", "tTwo"]);
    // Functions that find nothing fall back to the bindings.
    const fallback = await app.request("/u3", {}, {
      TALKJS_APP_ID: "tTwo",
      TALKJS_SECRET_KEY: "sk_test_two",
    });
    assert.equal(fallback.status, 200);
    assert.deepEqual(fake.seen.map((s) => s.appId), ["tOne", "tTwo", "tTwo"]);
    const neither = await captureConsole(
      () => app.request("/u4", {}, { TALKJS_APP_ID: "tOne" }),
      ["error"],
    );
    assert.equal(neither.status, 500);
  } finally {
    await fake.close();
  }
});

Deno.test("talkjs() answers 500 with a clear message when not configured", async () => {
  await captureConsole(async (logged) => {
    let ran = false;
    const app = new Hono().use("*", talkjs()).get("/", (c) => {
      ran = true;
      return c.text("ok");
    });
    const serveInfo = {
      remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
    };
    for (
      const env of [
        undefined,
        {},
        serveInfo,
        { TALKJS_APP_ID: "tA" },
        { TALKJS_SECRET_KEY: "sk_test_a" },
        { TALKJS_APP_ID: "", TALKJS_SECRET_KEY: "sk_test_a" },
        { TALKJS_APP_ID: 42, TALKJS_SECRET_KEY: "sk_test_a" },
      ]
    ) {
      const res = await app.request("/", {}, env);
      assert.equal(res.status, 500);
      const body = await res.json();
      assert.match(body.error, /TalkJS is not configured/);
      assert.match(body.error, /TALKJS_APP_ID/);
      assert.match(body.error, /TALKJS_SECRET_KEY/);
      assert.ok(!JSON.stringify(body).includes("sk_test_a"));
    }
    assert.equal(ran, false);
    assert.equal(logged.length, 1, "logs the misconfiguration once");
    assert.ok(!JSON.stringify(logged).includes("sk_test_a"));
  }, ["error"]);
});

Deno.test("talkjs() runs under Deno.serve, where c.env is the serve info", async () => {
  const fake = serveFakeTalkJs({ [APP_ID]: SECRET });
  const configured = new Hono()
    .use(
      "/api/*",
      talkjs({ appId: APP_ID, secretKey: SECRET, baseUrl: fake.baseUrl }),
    )
    .get(
      "/api/users/:id",
      async (c) => c.json(await c.var.talkjs.users.get(c.req.param("id"))),
    );
  const unconfigured = new Hono().use("*", talkjs()).get(
    "*",
    (c) => c.text("unreachable"),
  );
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req, info) => {
      const app = new URL(req.url).pathname.startsWith("/api/")
        ? configured
        : unconfigured;
      return app.fetch(req, info);
    },
  );
  const base = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`;
  try {
    const ok = await fetch(`${base}/api/users/bob`);
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).id, "bob");
    const missing = await captureConsole(
      () => fetch(`${base}/other`),
      ["error"],
    );
    assert.equal(missing.status, 500);
    assert.match((await missing.json()).error, /not configured/);
  } finally {
    await server.shutdown();
    await fake.close();
  }
});

/** Runs `fn` with these environment variables set (`undefined`: unset), then restores them. */
async function withEnv<T>(
  vars: Record<string, string | undefined>,
  fn: () => Promise<T>,
): Promise<T> {
  const saved = Object.fromEntries(
    Object.keys(vars).map((name) => [name, Deno.env.get(name)]),
  );
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

Deno.test("talkjs() on Deno reads TALKJS_APP_ID, TALKJS_SECRET_KEY and TALKJS_BASE_URL from the environment", async () => {
  const emu = createEmulator({ rateLimit: false });
  const urls: string[] = [];
  const app = new Hono()
    .use(
      "/api/*",
      talkjs({
        // Any host reaches the in-process emulator: the URL shows the base.
        fetch: (input, init) => {
          urls.push(String(input instanceof Request ? input.url : input));
          return emu.fetch(input, init);
        },
      }),
    )
    .put("/api/users/:id", async (c) => {
      await c.var.talkjs.users.put(c.req.param("id"), { name: "Env" });
      return c.json(await c.var.talkjs.users.get(c.req.param("id")));
    });
  const serve = (req: Request) =>
    // As Deno.serve calls it: c.env is the serve info, no bindings.
    app.fetch(req, { remoteAddr: { transport: "tcp" } });
  await withEnv({
    TALKJS_APP_ID: emu.appId,
    TALKJS_SECRET_KEY: emu.secretKey,
    TALKJS_BASE_URL: "http://from-env.test",
  }, async () => {
    const res = await serve(
      new Request("http://app/api/users/alice", { method: "PUT" }),
    );
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal((await res.json()).name, "Env");
    assert.equal(emu.store.user("alice")?.name, "Env");
    assert.ok(
      urls.every((u) =>
        u.startsWith(`http://from-env.test/v1/${emu.appId}/users/alice`)
      ),
      urls.join(" "),
    );
  });
  // A bad TALKJS_BASE_URL is a 500 naming the variable, never a crash, and
  // never its value (a URL may hold credentials): the log says why, without
  // user-info or query. (Not even a URL, it has an "@": refused for its
  // credentials, and createClient does not show it at all.)
  await withEnv({
    TALKJS_APP_ID: emu.appId,
    TALKJS_SECRET_KEY: emu.secretKey,
    TALKJS_BASE_URL: "https://admin:hunter2@exa mple.com/?key=sk_live_abc",
  }, async () => {
    const [body, logged] = await captureConsole(async (calls) => {
      const res = await serve(
        new Request("http://app/api/users/bob", { method: "PUT" }),
      );
      assert.equal(res.status, 500);
      return [await res.text(), calls.map((args) => args.join(" "))];
    }, ["error"]);
    assert.match(body, /TALKJS_BASE_URL/);
    assert.match(logged.join("\n"), /'baseUrl' must not have credentials/);
    for (const secret of ["hunter2", "sk_live_abc"]) {
      assert.ok(!body.includes(secret), body);
      assert.ok(!logged.join("\n").includes(secret), logged.join("\n"));
    }
  });
  // Unset again: not configured, naming the variables.
  await withEnv({
    TALKJS_APP_ID: undefined,
    TALKJS_SECRET_KEY: undefined,
    TALKJS_BASE_URL: undefined,
  }, async () => {
    const res = await captureConsole(
      () => serve(new Request("http://app/api/users/carol", { method: "PUT" })),
      ["error"],
    );
    assert.equal(res.status, 500);
    assert.match(
      (await res.json()).error,
      /TALKJS_APP_ID and TALKJS_SECRET_KEY/,
    );
  });
});

Deno.test("talkjs() and talkjsUserToken() take options first, then bindings, then the environment", async () => {
  await withEnv({
    TALKJS_APP_ID: "tFromEnv",
    TALKJS_SECRET_KEY: "sk_test_from_env",
    TALKJS_BASE_URL: undefined,
  }, async () => {
    const seen: string[] = [];
    const app = new Hono()
      .use(
        "*",
        talkjs({
          fetch: (input) => {
            seen.push(new URL(String(input)).pathname);
            return Promise.resolve(Response.json({ id: "u" }));
          },
          limiter: false,
        }),
      )
      .get("/users", async (c) => c.json(await c.var.talkjs.users.get("u")))
      .get(
        "/token",
        talkjsUserToken({ userId: () => "alice" }),
      );
    await app.request("/users");
    await app.request("/users", {}, { TALKJS_APP_ID: "tFromBinding" });
    assert.deepEqual(seen, [
      "/v1/tFromEnv/users/u",
      "/v1/tFromBinding/users/u",
    ]);
    const res = await app.request("/token");
    assert.equal(res.status, 200);
    const { payload } = await jwtVerify(
      (await res.json()).token,
      encoder.encode("sk_test_from_env"),
    );
    assert.equal(payload.iss, "tFromEnv");
  });
});

// ---------------------------------------------------------------- talkjsWebhook()

const NOW_MS = 1_700_000_000_000;

function talkjsSign(
  secret: string,
  timestamp: string,
  body: string | Uint8Array,
): string {
  return createHmac("sha256", secret).update(`${timestamp}.`).update(body)
    .digest("hex").toUpperCase();
}

function signedHeaders(
  body: string | Uint8Array,
  timestamp: string | number = NOW_MS,
  secret = SECRET,
) {
  const ts = String(timestamp);
  return {
    "X-TalkJS-Timestamp": ts,
    "X-TalkJS-Signature": talkjsSign(secret, ts, body),
  };
}

const EVENT_BODY = JSON.stringify({
  id: "evt_1",
  createdAt: NOW_MS,
  type: "user.created",
  data: { user: { id: "alice", name: "Alice", createdAt: NOW_MS } },
});

function webhookApp(options: Parameters<typeof talkjsWebhook>[0] = {}) {
  const events: WebhookEvent[] = [];
  const app = new Hono<TalkJsWebhookEnv>();
  app.post(
    "/events",
    talkjsWebhook({ clock: createManualClock(NOW_MS), ...options }),
    async (c) => {
      events.push(c.var.talkjsEvent);
      // The body stays readable after verification.
      const raw = new Uint8Array(await c.req.arrayBuffer());
      return c.json({ type: c.var.talkjsEvent.type, bytes: raw.length });
    },
  );
  return { app, events };
}

Deno.test("talkjsWebhook() verifies the request and puts the event on c.var", async () => {
  const { app, events } = webhookApp();
  const res = await app.request(
    "/events",
    { method: "POST", body: EVENT_BODY, headers: signedHeaders(EVENT_BODY) },
    { TALKJS_SECRET_KEY: SECRET },
  );
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    type: "user.created",
    bytes: encoder.encode(EVENT_BODY).length,
  });
  assert.deepEqual(events, [JSON.parse(EVENT_BODY)]);
  const [event] = events;
  assert.ok(event?.type === "user.created" && event.data.user.name === "Alice");
});

Deno.test("talkjsWebhook() answers 401 with the reason for each refusal", async () => {
  const { app, events } = webhookApp({ secret: SECRET });
  const { "X-TalkJS-Signature": sig, "X-TalkJS-Timestamp": ts } = signedHeaders(
    EVENT_BODY,
  );
  const cases: [string, string, Record<string, string>][] = [
    ["missing_signature", EVENT_BODY, { "X-TalkJS-Timestamp": ts }],
    ["missing_timestamp", EVENT_BODY, { "X-TalkJS-Signature": sig }],
    ["bad_timestamp", EVENT_BODY, signedHeaders(EVENT_BODY, "yesterday")],
    [
      "stale_timestamp",
      EVENT_BODY,
      signedHeaders(EVENT_BODY, NOW_MS - 301_000),
    ],
    [
      "stale_timestamp",
      EVENT_BODY,
      signedHeaders(EVENT_BODY, NOW_MS / 1000 + 301),
    ],
    [
      "bad_signature",
      EVENT_BODY,
      signedHeaders(EVENT_BODY, NOW_MS, "sk_test_someone_else"),
    ],
    [
      "bad_signature",
      EVENT_BODY.replace("Alice", "Mallory"),
      signedHeaders(EVENT_BODY),
    ],
    ["bad_body", "[]", signedHeaders("[]")],
    ["bad_body", "{not json", signedHeaders("{not json")],
  ];
  for (const [reason, body, headers] of cases) {
    const res = await app.request("/events", { method: "POST", body, headers });
    assert.equal(res.status, 401, reason);
    const answer = await res.json();
    assert.equal(answer.reason, reason);
    assert.equal(typeof answer.error, "string");
    assert.ok(!JSON.stringify(answer).includes(SECRET));
    assert.ok(!JSON.stringify(answer).includes(sig));
  }
  assert.equal(events.length, 0, "the handler never ran");
});

Deno.test("talkjsWebhook() verifies the raw body bytes exactly as received", async () => {
  const { app, events } = webhookApp({ secret: SECRET });
  const body = new Uint8Array([
    ...encoder.encode('{"type":"message.updated","data":{"note":"'),
    0xc3, // a truncated UTF-8 sequence
    0xff,
    ...encoder.encode('"}}'),
  ]);
  const headers = signedHeaders(body);
  const ok = await app.request("/events", { method: "POST", body, headers });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), {
    type: "message.updated",
    bytes: body.length,
  });
  assert.equal(events.length, 1);

  // Differs only in a byte that decodes to the same U+FFFD: still refused.
  const other = body.slice();
  other[other.indexOf(0xff)] = 0xfe;
  const refused = await app.request("/events", {
    method: "POST",
    body: other,
    headers,
  });
  assert.equal(refused.status, 401);
  assert.equal((await refused.json()).reason, "bad_signature");
});

Deno.test("talkjsWebhook() refuses a request with missing or malformed signature headers before reading its body", async () => {
  const { app, events } = webhookApp({ secret: SECRET });
  let pulled = 0;
  // 16 MB in 64 KB chunks, counted as they are pulled.
  const endless = () => {
    let left = 256;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (left-- > 0) controller.enqueue(new Uint8Array(64 * 1024));
        else controller.close();
      },
    });
  };
  const { "X-TalkJS-Timestamp": ts, "X-TalkJS-Signature": sig } = signedHeaders(
    EVENT_BODY,
  );
  for (
    const [reason, headers] of [
      ["missing_signature", { "X-TalkJS-Timestamp": ts }],
      ["missing_timestamp", { "X-TalkJS-Signature": sig }],
      ["missing_signature", {}],
      ["bad_timestamp", {
        "X-TalkJS-Timestamp": "yesterday",
        "X-TalkJS-Signature": sig,
      }],
      ["bad_signature", {
        "X-TalkJS-Timestamp": ts,
        "X-TalkJS-Signature": "x",
      }],
    ] as const
  ) {
    const res = await app.request(
      new Request("http://localhost/events", {
        method: "POST",
        body: endless(),
        headers,
        duplex: "half",
      } as RequestInit),
    );
    assert.equal(res.status, 401);
    assert.equal((await res.json()).reason, reason);
  }
  // A stream's first pull may happen when it is made; nothing beyond.
  assert.ok(pulled <= 5, `read ${pulled} chunks of 5 refused bodies`);
  assert.equal(events.length, 0);
});

/** A body of `chunks` × 64 KB, streamed, counting the bytes pulled from it. */
function countedStream(chunks: number) {
  const counted = { pulled: 0, cancelled: false };
  let left = chunks;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (left-- <= 0) return controller.close();
      counted.pulled += 64 * 1024;
      controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
    },
    cancel() {
      counted.cancelled = true;
    },
  });
  return { stream, counted };
}

function postStream(
  app: Hono<TalkJsWebhookEnv>,
  body: ReadableStream<Uint8Array>,
  headers: Record<string, string>,
) {
  return app.request(
    new Request("http://localhost/events", {
      method: "POST",
      body,
      headers,
      duplex: "half",
    } as RequestInit),
  );
}

Deno.test("talkjsWebhook() answers 413 past maxBodyBytes, having read no more than the cap", async () => {
  // Well-formed headers, a made-up signature, a current timestamp: all an
  // attacker needs to make the middleware read. It used to read all 16 MB
  // (800 MB took a server from 49 MB to 2.5 GB) before answering 401.
  const { app, events } = webhookApp({ secret: SECRET });
  const { stream, counted } = countedStream(256);
  const res = await postStream(app, stream, {
    "X-TalkJS-Timestamp": String(NOW_MS),
    "X-TalkJS-Signature": "AB".repeat(32),
  });
  assert.equal(res.status, 413);
  const answer = await res.json();
  assert.equal(answer.reason, "body_too_large");
  assert.match(answer.error, /1048576-byte limit/);
  // The cap (1 MiB), the chunk that crossed it, and one the stream queued ahead.
  assert.ok(
    counted.pulled <= 1_048_576 + 2 * 64 * 1024,
    `pulled ${counted.pulled} bytes`,
  );
  assert.ok(counted.cancelled, "the rest of the stream was cancelled");

  // A Content-Length over the cap is answered before anything is read.
  const declared = countedStream(256);
  const big = await postStream(app, declared.stream, {
    ...signedHeaders(EVENT_BODY),
    "Content-Length": String(16 * 1024 * 1024),
  });
  assert.equal(big.status, 413);
  assert.equal((await big.json()).reason, "body_too_large");
  assert.ok(declared.counted.pulled <= 64 * 1024);
  assert.equal(events.length, 0);
});

Deno.test("talkjsWebhook() takes a body of exactly maxBodyBytes, and refuses one byte more", async () => {
  const events: WebhookEvent[] = [];
  const app = new Hono<TalkJsWebhookEnv>().post(
    "/events",
    talkjsWebhook({
      secret: SECRET,
      clock: createManualClock(NOW_MS),
      maxBodyBytes: 200,
    }),
    async (c) => {
      events.push(c.var.talkjsEvent);
      // Read by the middleware, the body is still there for the handler.
      return c.json({ echoed: (await c.req.json()).type });
    },
  );
  const event = (size: number) => {
    const head = '{"type":"user.updated","data":{"pad":"';
    return head + "x".repeat(size - head.length - 3) + '"}}';
  };
  const fits = event(200);
  const ok = await app.request("/events", {
    method: "POST",
    body: fits,
    headers: signedHeaders(fits),
  });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { echoed: "user.updated" });
  const over = event(201);
  const refused = await app.request("/events", {
    method: "POST",
    body: over,
    headers: signedHeaders(over),
  });
  assert.equal(refused.status, 413);
  assert.equal((await refused.json()).reason, "body_too_large");
  assert.equal(events.length, 1);
});

Deno.test("talkjsWebhook() refuses a stale timestamp before reading the body", async () => {
  // The replay window is checked first: a huge body with an old (or future)
  // timestamp costs nothing. It used to be read and hashed in full first.
  const { app, events } = webhookApp({ secret: SECRET });
  for (const timestamp of [NOW_MS - 301_000, NOW_MS / 1000 + 301]) {
    const { stream, counted } = countedStream(256);
    const res = await postStream(app, stream, {
      "X-TalkJS-Timestamp": String(timestamp),
      "X-TalkJS-Signature": "AB".repeat(32),
    });
    assert.equal(res.status, 401);
    assert.equal((await res.json()).reason, "stale_timestamp");
    // A stream's first pull may happen when it is made; nothing beyond.
    assert.ok(counted.pulled <= 64 * 1024, `pulled ${counted.pulled} bytes`);
  }
  assert.equal(events.length, 0);
});

Deno.test("talkjsWebhook() answers 500 naming the cause when something before it read the body", async () => {
  // Read earlier as bytes through Hono ("arrayBuffer"), the exact bytes are
  // still there; read any other way, they are gone.
  for (
    const readAs of [
      "text",
      "json",
      "blob",
      "raw",
      "locked",
      "arrayBuffer",
    ] as const
  ) {
    const seen: WebhookEvent[] = [];
    const app = new Hono<TalkJsWebhookEnv>().post(
      "/events",
      async (c, next) => {
        if (readAs === "raw") await c.req.raw.arrayBuffer();
        else if (readAs === "locked") c.req.raw.body!.getReader();
        else await c.req[readAs]();
        await next();
      },
      talkjsWebhook({ secret: SECRET, clock: createManualClock(NOW_MS) }),
      (c) => {
        seen.push(c.var.talkjsEvent);
        return c.text("ok");
      },
    );
    const res = await app.request("/events", {
      method: "POST",
      body: EVENT_BODY,
      headers: signedHeaders(EVENT_BODY),
    });
    if (readAs === "arrayBuffer") {
      assert.equal(res.status, 200, await res.text());
      assert.equal(seen.length, 1);
      continue;
    }
    assert.equal(res.status, 500, readAs);
    assert.match(
      (await res.json()).error,
      /already read the body.*mount talkjsWebhook\(\) before/,
    );
    assert.equal(seen.length, 0);
  }
});

Deno.test("talkjsWebhook() verifies bytes sent over a real connection", async () => {
  // The middleware says once on the console what is missing.
  await captureConsole(async () => {
    const { app, events } = webhookApp({
      secret: (c) => c.req.header("x-test-secret") && SECRET,
    });
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      app.fetch,
    );
    const url = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}/events`;
    try {
      const body = encoder.encode(
        EVENT_BODY.replace("Alice", "Ålice \u00a0\ud83d\ude00"),
      );
      const res = await fetch(url, {
        method: "POST",
        body,
        headers: {
          ...signedHeaders(body),
          "x-test-secret": "1",
          "content-type": "application/json",
        },
      });
      assert.equal(res.status, 200);
      await res.body?.cancel();
      assert.equal(events.length, 1);
      assert.ok(
        events[0]?.type === "user.created" &&
          events[0].data.user.name === "Ålice \u00a0😀",
      );
      // No secret from options and no bindings under Deno.serve: 500.
      const missing = await fetch(url, {
        method: "POST",
        body,
        headers: signedHeaders(body),
      });
      assert.equal(missing.status, 500);
      assert.match((await missing.json()).error, /TALKJS_SECRET_KEY/);
    } finally {
      await server.shutdown();
    }
  }, ["error"]);
});

Deno.test("talkjsWebhook() answers 500 when no secret is configured", async () => {
  // The middleware says once on the console what is missing.
  await captureConsole(async () => {
    const { app, events } = webhookApp();
    for (const env of [undefined, {}, { TALKJS_SECRET_KEY: "" }]) {
      const res = await app.request(
        "/events",
        {
          method: "POST",
          body: EVENT_BODY,
          headers: signedHeaders(EVENT_BODY),
        },
        env,
      );
      assert.equal(res.status, 500);
      assert.match((await res.json()).error, /not configured/);
    }
    assert.equal(events.length, 0);
  }, ["error"]);
});

Deno.test("talkjsWebhook() with onEvent answers 200 at once and hands the work to waitUntil", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const handled: WebhookEvent[] = [];
  const waited: Promise<unknown>[] = [];
  // Like workerd's, waitUntil needs its receiver: an unbound call throws.
  class FakeExecutionContext {
    #waited = waited;
    waitUntil(promise: Promise<unknown>) {
      this.#waited.push(promise);
    }
    passThroughOnException() {}
    props = {};
  }
  const executionCtx =
    new FakeExecutionContext() as unknown as ExecutionContext;
  let nextRan = false;

  const app = new Hono();
  app.post(
    "/events",
    talkjsWebhook({
      clock: createManualClock(NOW_MS),
      onEvent: async (event, c) => {
        assert.equal(c.env.TALKJS_SECRET_KEY, SECRET);
        await gate;
        handled.push(event);
      },
    }),
    (c) => {
      nextRan = true;
      return c.text("not reached");
    },
  );

  const res = await app.request(
    "/events",
    { method: "POST", body: EVENT_BODY, headers: signedHeaders(EVENT_BODY) },
    { TALKJS_SECRET_KEY: SECRET },
    executionCtx,
  );
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { received: true });
  assert.equal(nextRan, false);
  assert.equal(waited.length, 1);
  assert.equal(handled.length, 0, "answered before the work finished");
  release();
  await waited[0];
  assert.deepEqual(handled, [JSON.parse(EVENT_BODY)]);
});

Deno.test("talkjsWebhook() with onEvent runs it in the background without an execution context", async () => {
  const failures: [unknown, string][] = [];
  let calls = 0;
  const boom = new Error("database down");
  let done!: () => void;
  const finished = new Promise<void>((resolve) => done = resolve);
  const app = new Hono().post(
    "/events",
    talkjsWebhook({
      secret: SECRET,
      clock: createManualClock(NOW_MS),
      onEvent: () => {
        calls++;
        throw boom;
      },
      onError: (error, event) => {
        failures.push([error, event.type]);
        done();
      },
    }),
  );
  const res = await app.request("/events", {
    method: "POST",
    body: EVENT_BODY,
    headers: signedHeaders(EVENT_BODY),
  });
  assert.equal(res.status, 200);
  await finished;
  assert.equal(calls, 1);
  assert.deepEqual(failures, [[boom, "user.created"]]);

  // A refused request never reaches onEvent.
  const refused = await app.request("/events", {
    method: "POST",
    body: EVENT_BODY,
  });
  assert.equal(refused.status, 401);
  assert.equal(calls, 1);
});

Deno.test("talkjsWebhook() logs onEvent failures by default, and survives a throwing onError", async () => {
  await captureConsole(async (logged) => {
    const headers = signedHeaders(EVENT_BODY);
    const init = { method: "POST", body: EVENT_BODY, headers };
    const logging = new Hono().post(
      "/",
      talkjsWebhook({
        secret: SECRET,
        clock: createManualClock(NOW_MS),
        onEvent: () => Promise.reject(new Error("nope")),
      }),
    );
    assert.equal((await logging.request("/", init)).status, 200);
    const throwing = new Hono().post(
      "/",
      talkjsWebhook({
        secret: SECRET,
        clock: createManualClock(NOW_MS),
        onEvent: () => Promise.reject(new Error("nope")),
        onError: () => {
          throw new Error("onError broke too");
        },
      }),
    );
    assert.equal((await throwing.request("/", init)).status, 200);
    // Let the background work settle (an unhandled rejection would fail this test).
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    assert.equal(logged.length, 2);
    assert.match(
      String(logged[0]![0]),
      /onEvent failed for a user\.created event/,
    );
    assert.match(String(logged[1]![0]), /onError threw/);
    assert.ok(
      !JSON.stringify(logged.map((l) => l.map(String))).includes(SECRET),
    );
  }, ["error"]);
});

Deno.test("talkjsWebhook() rejects a bad toleranceSeconds or maxBodyBytes when created", () => {
  assert.throws(() => talkjsWebhook({ toleranceSeconds: -1 }), RangeError);
  assert.throws(
    () => talkjsWebhook({ toleranceSeconds: Number.NaN }),
    RangeError,
  );
  for (const maxBodyBytes of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => talkjsWebhook({ maxBodyBytes }), {
      name: "RangeError",
      message:
        `Cannot create the webhook middleware as 'maxBodyBytes' must be a positive integer or Infinity: current value is ${maxBodyBytes}`,
    });
  }
  assert.throws(
    () => talkjsWebhook({ maxBodyBytes: "1mb" as never }),
    { name: "TypeError", message: /'maxBodyBytes'/ },
  );
  talkjsWebhook({ maxBodyBytes: Infinity });
});

// ---------------------------------------------------------------- talkjsUserToken()

Deno.test("talkjsUserToken() issues a user token for the signed-in user", async () => {
  const clock = createManualClock(NOW_MS);
  const app = new Hono<{ Variables: { userId?: string } }>();
  app.use("*", async (c, next) => {
    const user = c.req.header("x-user");
    if (user) c.set("userId", user);
    await next();
  });
  app.get(
    "/token",
    talkjsUserToken<{ Variables: { userId?: string } }>({
      userId: (c) => c.var.userId,
      ttlSeconds: 600,
      clock,
    }),
  );

  const res = await app.request(
    "/token",
    { headers: { "x-user": "alice" } },
    { TALKJS_APP_ID: APP_ID, TALKJS_SECRET_KEY: SECRET },
  );
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("cache-control"), "no-store");
  const { token, ...rest } = await res.json();
  assert.deepEqual(rest, {});
  assert.equal(decodeProtectedHeader(token).alg, "HS256");
  const { payload } = await jwtVerify(token, encoder.encode(SECRET), {
    issuer: APP_ID,
    subject: "alice",
    currentDate: new Date(NOW_MS),
  });
  assert.equal(payload.tokenType, "user");
  assert.equal(payload.iat, NOW_MS / 1000);
  assert.equal(payload.exp, NOW_MS / 1000 + 600);
  await assert.rejects(jwtVerify(token, encoder.encode("sk_test_other")));
});

Deno.test("talkjsUserToken() takes the keys from options before the bindings", async () => {
  const app = new Hono().get(
    "/token",
    talkjsUserToken({
      appId: "tOpt",
      secretKey: async () => await Promise.resolve("sk_test_opt"),
      userId: async () => await Promise.resolve("bob"),
    }),
  );
  const res = await app.request("/token", {}, {
    TALKJS_APP_ID: APP_ID,
    TALKJS_SECRET_KEY: SECRET,
  });
  const { token } = await res.json();
  const { payload } = await jwtVerify(token, encoder.encode("sk_test_opt"), {
    issuer: "tOpt",
  });
  assert.equal(payload.sub, "bob");
});

Deno.test("talkjsUserToken() answers 401 when nobody is signed in", async () => {
  for (const found of [undefined, null, "", Promise.resolve(undefined)]) {
    const app = new Hono().get(
      "/token",
      talkjsUserToken({
        appId: APP_ID,
        secretKey: SECRET,
        userId: () => found,
      }),
    );
    const res = await app.request("/token");
    assert.equal(res.status, 401);
    const body = await res.json();
    assert.match(body.error, /Not signed in/);
    assert.equal(body.token, undefined);
  }
});

Deno.test("talkjsUserToken() answers 500 when not configured", async () => {
  // The middleware says once on the console what is missing.
  await captureConsole(async () => {
    const app = new Hono().get(
      "/token",
      talkjsUserToken({ userId: () => "alice" }),
    );
    for (
      const env of [undefined, { TALKJS_APP_ID: APP_ID }, {
        TALKJS_SECRET_KEY: SECRET,
      }]
    ) {
      const res = await app.request("/token", {}, env);
      assert.equal(res.status, 500);
      const body = await res.json();
      assert.match(body.error, /TalkJS is not configured/);
      assert.ok(!JSON.stringify(body).includes(SECRET));
    }
  }, ["error"]);
});

Deno.test("talkjsUserToken() rejects bad options when created", () => {
  assert.throws(
    () => talkjsUserToken({ userId: "alice" as unknown as () => string }),
    TypeError,
  );
  assert.throws(
    () => talkjsUserToken({ userId: () => "a", ttlSeconds: 0 }),
    RangeError,
  );
});

// ---------------------------------------------------------------- together

Deno.test("talkjs(), talkjsWebhook() and talkjsUserToken() share Workers bindings, against the emulator", async () => {
  const emu = createEmulator({ rateLimit: false });
  const env = { TALKJS_APP_ID: emu.appId, TALKJS_SECRET_KEY: emu.secretKey };
  const app = new Hono<TalkJsEnv>()
    .use("/api/*", talkjs({ baseUrl: emu.baseUrl, fetch: emu.fetch }))
    .put("/api/users/:id", async (c) => {
      await c.var.talkjs.users.put(c.req.param("id"), { name: "Alice" });
      return c.json(await c.var.talkjs.users.get(c.req.param("id")));
    })
    .get("/token", talkjsUserToken({ userId: (c) => c.req.query("user") }))
    .post(
      "/events",
      talkjsWebhook(),
      (c) => c.json({ type: c.var.talkjsEvent.type }),
    );

  const put = await app.request("/api/users/alice", { method: "PUT" }, env);
  assert.equal(put.status, 200);
  assert.equal((await put.json()).name, "Alice");
  assert.equal(emu.store.users().length, 1);

  const { token } = await (await app.request("/token?user=alice", {}, env))
    .json();
  const { payload } = await jwtVerify(token, encoder.encode(emu.secretKey), {
    issuer: emu.appId,
  });
  assert.equal(payload.sub, "alice");

  const body = JSON.stringify({
    type: "user.updated",
    data: { user: { id: "alice" } },
  });
  const headers = await signWebhook({ secret: emu.secretKey, body });
  const event = await app.request(
    "/events",
    { method: "POST", body, headers },
    env,
  );
  assert.deepEqual(await event.json(), { type: "user.updated" });
});

Deno.test("talkjs() middlewares share one limiter per app ID, in the given store", async () => {
  const emu = createEmulator({ rateLimit: false });
  const booked: string[] = [];
  // A store that books every slot at once and records whose budget it was.
  const store = {
    reserve(key: string, { now }: { now: number }) {
      booked.push(key);
      return Promise.resolve(now);
    },
  };
  const options = {
    appId: emu.appId,
    secretKey: emu.secretKey,
    baseUrl: emu.baseUrl,
    fetch: emu.fetch,
    store,
  };
  const app = new Hono()
    .use("/a/*", talkjs(options))
    .use("/b/*", talkjs(options))
    .put(
      "/a/:id",
      async (c) =>
        c.json(await c.var.talkjs.users.put(c.req.param("id"), { name: "A" })),
    )
    .put(
      "/b/:id",
      async (c) =>
        c.json(await c.var.talkjs.users.put(c.req.param("id"), { name: "B" })),
    );
  assert.equal((await app.request("/a/x", { method: "PUT" })).status, 200);
  assert.equal((await app.request("/b/y", { method: "PUT" })).status, 200);
  assert.deepEqual(booked, [emu.appId, emu.appId]);
  assert.equal(emu.store.users().length, 2);
});

Deno.test("talkjs() middlewares without a store share the in-memory limiter per app ID, and only per app ID", async () => {
  // Two apps, each on its own emulator, reached through one fetch.
  const emuX = createEmulator({ appId: "tShareX", rateLimit: false });
  const emuY = createEmulator({ appId: "tShareY", rateLimit: false });
  const secrets: Record<string, string> = {
    tShareX: emuX.secretKey,
    tShareY: emuY.secretKey,
  };
  const fetch = (input: RequestInfo | URL, init?: RequestInit) =>
    (String(input instanceof Request ? input.url : input).includes(
        "/v1/tShareY/",
      )
      ? emuY
      : emuX).fetch(input, init);
  // A 429 with Retry-After: 30 on app X: the client holds app X's limiter 30 s.
  emuX.faults.inject({ status: 429, retryAfter: 30, path: "/users/first" });

  const options = {
    appId: (c: Context) => c.req.header("x-app"),
    secretKey: (c: Context) => secrets[c.req.header("x-app") ?? ""],
    baseUrl: emuX.baseUrl,
    fetch,
    retry: false as const,
  };
  const getUser = async (c: Context<TalkJsEnv>) => {
    try {
      // The incoming request's signal: an aborted test request stops waiting.
      await c.var.talkjs.users.get(c.req.param("id")!, {
        signal: c.req.raw.signal,
      });
      return "found";
    } catch (error) {
      return String((error as { status?: number }).status ?? error);
    }
  };
  const app = new Hono<TalkJsEnv>()
    .use("/a/*", talkjs(options))
    .use("/b/*", talkjs(options))
    .get("/a/:id", async (c) => c.text(await getUser(c)))
    .get("/b/:id", async (c) => c.text(await getUser(c)));
  const ask = async (
    path: string,
    appId: string,
    signal: AbortSignal | null = null,
  ) =>
    await (await app.request(path, { headers: { "x-app": appId }, signal }))
      .text();

  assert.equal(await ask("/a/first", "tShareX"), "429");
  // Mount b, same app: held by the same limiter's penalty.
  const held = new AbortController();
  let settled = false;
  const heldAnswer = ask("/b/second", "tShareX", held.signal).finally(() =>
    settled = true
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(settled, false, "mount b's request for app X was not held");
  // App Y, through either mount, has a budget of its own.
  const timeout = AbortSignal.timeout(5000);
  assert.equal(await ask("/a/nobody", "tShareY", timeout), "404");
  assert.equal(await ask("/b/nobody", "tShareY", timeout), "404");
  held.abort();
  await heldAnswer.catch(() => {});
});

Deno.test("talkjs() rejects bad client options when created, not per request", () => {
  assert.throws(() => talkjs({ timeoutMs: 0 }), {
    name: "RangeError",
    message: /'timeoutMs'/,
  });
  assert.throws(() => talkjs({ auth: "basic" as never }), {
    name: "TypeError",
    message: /'auth'/,
  });
  assert.throws(() => talkjs({ baseUrl: "nope" }), /'baseUrl'/);
  // The whole client's options, retry's and the limiter's too, as createClient checks them.
  assert.throws(() => talkjs({ retry: { retries: -1 } }), {
    name: "RangeError",
    message: /'retry\.retries'/,
  });
  assert.throws(() => talkjs({ limiter: {} as never }), /'limiter'/);
  assert.throws(() => talkjs({ clock: {} as never }), /'clock'/);
});

Deno.test("talkjs(), talkjsUserToken() and talkjsWebhook() report missing configuration the same way, once on the console", async () => {
  const none = () => undefined;
  const reached = (c: Context) => c.text("reached");
  const apps = [
    [
      "talkjs",
      new Hono().post("/x", talkjs({ appId: none, secretKey: none }), reached),
    ],
    [
      "talkjsUserToken",
      new Hono().post(
        "/x",
        talkjsUserToken({
          userId: () => "alice",
          appId: none,
          secretKey: none,
        }),
      ),
    ],
    [
      "talkjsWebhook",
      new Hono().post("/x", talkjsWebhook({ secret: none }), reached),
    ],
  ] as const;
  await captureConsole(async (logged) => {
    for (const [name, app] of apps) {
      for (let i = 0; i < 2; i++) {
        const res = await app.request("/x", { method: "POST", body: "{}" }, {});
        assert.equal(res.status, 500, name);
        const variables = name === "talkjsWebhook"
          ? "TALKJS_SECRET_KEY"
          : "TALKJS_APP_ID and TALKJS_SECRET_KEY";
        const options = name === "talkjsWebhook" ? "secret" : "appId/secretKey";
        assert.equal(
          (await res.json()).error,
          `TalkJS is not configured: set ${variables} (environment variables or Workers bindings) or pass ${options} to ${name}()`,
        );
      }
    }
    assert.equal(logged.length, 3, "once per middleware");
  }, ["error"]);
});

Deno.test("talkjsUserToken() answers 500 naming the bug when userId() gives a non-string", async () => {
  await captureConsole(async (logged) => {
    for (const user of [42, {}, ["alice"], true]) {
      const app = new Hono().get(
        "/token",
        talkjsUserToken({
          appId: APP_ID,
          secretKey: SECRET,
          userId: () => user as never,
        }),
      );
      const res = await app.request("/token");
      assert.equal(res.status, 500, JSON.stringify(user));
      assert.match(
        (await res.json()).error,
        /userId\(\) must give a string, undefined or null/,
      );
    }
    assert.equal(logged.length, 4);
  }, ["error"]);
});

Deno.test("talkjs() on Deno reads its three variables under --allow-env narrowed to them", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-env=TALKJS_APP_ID,TALKJS_SECRET_KEY,TALKJS_BASE_URL",
      new URL("./fixtures/narrow_env.ts", import.meta.url).pathname,
    ],
    env: {
      TALKJS_APP_ID: "tNarrow",
      TALKJS_SECRET_KEY: "sk_test_narrow",
      TALKJS_BASE_URL: "http://emulator.talkjs.test",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.equal(out.trim(), "200 ok");
});
