// Secrets: the secret key and tokens never appear in errors, logs, onRetry /
// onPage infos or emulator stats (a grep over a dump of everything the fault
// scenarios, rerun small, and hostile servers produce); tokens expire within
// tokenTtlSeconds; the webhook verifier compares in constant time and refuses
// stale timestamps; the emulator refuses tokens that are not this app's.
import assert from "node:assert/strict";
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { Hono } from "hono";
import {
  createAppToken,
  createClient,
  createUserToken,
  signWebhook,
  TalkJsWebhookError,
  verifyWebhook,
} from "../mod.ts";
import { talkjs, type TalkJsEnv, talkjsWebhook } from "../hono.ts";
import { createEmulator, createManualClock } from "../testing.ts";
import { fastClock } from "./_fast_clock.ts";
import { APP, SECRET } from "./_fault_plan.ts";
import {
  scenarioConcurrentPuts,
  scenarioImportCut,
  scenarioListAll,
  scenarioSends,
  scenarioStorm,
} from "./_fault_scenarios.ts";
import { withNoDelay } from "./_fault_transports.ts";
import {
  capturingConsole,
  createSink,
  dump,
  findLeaks,
  recordToken,
} from "./_sink.ts";
import { CUT, json, startFakeServer } from "./_fake_server.ts";

Deno.test("the fault scenarios, rerun small, leak no secret or token in errors, logs, infos or stats", async () => {
  const sink = createSink();
  await capturingConsole(sink, async () => {
    for (const transport of ["emulator", "loopback"] as const) {
      const options = { transport, sink, scale: 0.1 };
      await scenarioListAll(options);
      await scenarioConcurrentPuts(options);
      await scenarioSends(options);
      await scenarioStorm(options);
    }
    await scenarioImportCut({ transport: "emulator", sink, scale: 0.1 });
  });
  assert.ok(sink.tokens.size > 5);
  assert.ok(
    sink.infos.some((i) => dump(i).includes("byRoute")),
    "stats dumped",
  );
  assert.ok(
    sink.infos.some((i) => dump(i).includes("delayMs")),
    "onRetry dumped",
  );
  assert.ok(sink.infos.some((i) => dump(i).includes("total")), "onPage dumped");
  assert.ok(sink.errors.length > 0, "errors dumped");
  assert.deepEqual(findLeaks(sink, [SECRET]), []);
});

Deno.test("servers that echo the token or the key back leak nothing into errors, either auth mode", async () => {
  const sink = createSink();
  await using server = withNoDelay(startFakeServer);
  const echo = (r: { headers: Headers }) =>
    r.headers.get("authorization") ?? "";
  const answers: ((r: { headers: Headers }) => Response | typeof CUT)[] = [
    (r: { headers: Headers }) =>
      json({ errorCode: "X", reasons: { authorization: echo(r) } }, 400),
    (r: { headers: Headers }) => json({ seen: echo(r), key: SECRET }, 500),
    (r: { headers: Headers }) =>
      new Response(`<html>${echo(r)} ${SECRET}</html>`, { status: 200 }),
    (r: { headers: Headers }) =>
      new Response(`bad ${echo(r)}`, {
        status: 401,
        headers: { "x-echo": echo(r) },
      }),
    (r: { headers: Headers }) =>
      json({ again: echo(r) }, 429, { "retry-after": "0" }),
    () => CUT,
  ];
  for (const auth of ["token", "secret-key"] as const) {
    const talk = createClient({
      appId: APP,
      secretKey: SECRET,
      baseUrl: server.url,
      auth,
      limiter: false,
      clock: fastClock(), // batch() paces at 1 request/s of this clock
      timeoutMs: 60_000,
      retry: {
        retries: 1,
        minDelayMs: 1,
        maxDelayMs: 1,
        onRetry: (info) => void sink.infos.push(info),
      },
    });
    for (const answer of answers) {
      server.setDefault((r) => {
        recordToken(sink, r.headers);
        return answer(r);
      });
      for (
        const call of [
          () => talk.users.get("u1"),
          () => talk.users.put("u1", { name: "A" }),
          () => talk.messages.send("c1", { type: "SystemMessage", text: "t" }),
          () => talk.batch([[1, "GET", "/users/u1"]]),
        ]
      ) {
        const error = await call().then(() => undefined, (e) => e);
        assert.ok(error !== undefined, "a hostile answer is never a success");
        sink.errors.push(error);
      }
    }
    sink.infos.push(talk, String(talk));
  }
  assert.ok(sink.tokens.has(SECRET), "the legacy mode sent the key itself");
  assert.deepEqual(findLeaks(sink, [SECRET]), []);
});

Deno.test("a 200 whose JSON string echoes the key or token where a message cuts it short leaks no part of either", async () => {
  await using server = withNoDelay(startFakeServer);
  const seen: unknown[] = [];
  const tokens: string[] = [];
  // Every 12 characters in a row of a secret: a part long enough to matter.
  const parts = (secret: string) =>
    Array.from(
      { length: secret.length - 11 },
      (_, i) => secret.slice(i, i + 12),
    );
  for (const auth of ["token", "secret-key"] as const) {
    const talk = createClient({
      appId: APP,
      secretKey: SECRET,
      baseUrl: server.url,
      auth,
      limiter: false,
      retry: false,
      onResponse: (info) => void seen.push(info),
    });
    // The echo starts at every offset around show()'s 57-character cut.
    for (let pad = 0; pad <= 60; pad += 3) {
      for (const echoKey of [true, false]) {
        server.setDefault((r) => {
          const token = (r.headers.get("authorization") ?? "").slice(7);
          tokens.push(token);
          return json("x".repeat(pad) + (echoKey ? SECRET : token), 200);
        });
        const error = await talk.users.get("u1").then(
          () => assert.fail("a string is not a user"),
          (e) => e,
        );
        assert.equal(error.code, "TALKJS_UNEXPECTED_ANSWER");
        seen.push(error, error.toJSON());
      }
    }
  }
  const text = seen.map((item) => Deno.inspect(item, { depth: 10 })).join("\n");
  const signatures = tokens.filter((t) => t !== SECRET).map((t) =>
    t.split(".")[2]!
  );
  for (const secret of [SECRET, ...signatures]) {
    for (const part of parts(secret)) {
      assert.ok(!text.includes(part), `a part of a secret leaked: ${part}`);
    }
  }
});

Deno.test("a fetch wrapper's error that keeps the request's headers leaves no token or key in cause", async () => {
  // As ofetch's FetchError: the request's options, headers and all, on the error.
  class FetchError extends Error {
    options: RequestInit;
    request: string;
    constructor(request: string, options: RequestInit) {
      super(`[${options.method}] "${request}": <no response> fetch failed`);
      this.name = "FetchError";
      this.request = request;
      this.options = options;
    }
  }
  const leaks = createSink();
  for (const auth of ["token", "secret-key"] as const) {
    for (const timeout of [false, true]) {
      const talk = createClient({
        appId: APP,
        secretKey: SECRET,
        auth,
        limiter: false,
        retry: false,
        timeoutMs: 20,
        fetch: (input, init) => {
          const headers = new Headers(init?.headers);
          recordToken(leaks, headers);
          const error = new FetchError(String(input), {
            ...init,
            headers: Object.fromEntries(headers),
          });
          // Rejects at once, or on the abort that the timeout sends.
          return new Promise((_, reject) =>
            timeout
              ? init?.signal?.addEventListener("abort", () => reject(error))
              : reject(error)
          );
        },
      });
      const error = await talk.users.get("u1").then(() => undefined, (e) => e);
      assert.equal(
        error?.name,
        timeout ? "TalkJsTimeoutError" : "TalkJsNetworkError",
      );
      leaks.errors.push(error);
    }
  }
  assert.ok(leaks.tokens.has(SECRET) && leaks.tokens.size >= 2);
  assert.deepEqual(findLeaks(leaks, [SECRET]), []);
  // What failed is still told: the class and its message, redacted.
  for (const error of leaks.errors) {
    assert.equal(
      (error as Error & { cause: Error }).cause.message,
      `FetchError: [GET] "https://api.talkjs.com/v1/${APP}/users/u1": <no response> fetch failed`,
    );
  }
});

Deno.test("createClient() refuses a secret key that a server would escape when echoing it, so redaction cannot miss it", async () => {
  await using server = withNoDelay(startFakeServer);
  // Each of these comes back escaped from some server's JSON, HTML or URL
  // encoding, where a plain search for the key cannot find it.
  for (const c of [`"`, "\\", "/", "<", ">", "&", "'", "%", "+", "=", "!"]) {
    const secretKey = `sk_test_ab${c}cd`;
    server.setDefault((r) =>
      json({
        errorCode: "X",
        reasons: { key: secretKey, echo: r.headers.get("authorization") },
      }, 400)
    );
    let made: ReturnType<typeof createClient> | undefined;
    try {
      made = createClient({
        appId: APP,
        secretKey,
        baseUrl: server.url,
        limiter: false,
        retry: false,
        auth: "secret-key",
      });
    } catch (error) {
      assert.ok(error instanceof TypeError, String(error));
      assert.match(
        error.message,
        /'secretKey' must be a non-empty string of letters, digits/,
      );
      assert.ok(!error.message.includes(secretKey));
      continue;
    }
    // Today's code: the key is accepted, and its escaped echo survives.
    const error = await made.users.get("u1").catch((e) => e);
    assert.fail(
      `${JSON.stringify(c)} was accepted; leaks: ${
        findLeaks({ ...createSink(), errors: [error] }, [secretKey]).join(", ")
      }`,
    );
  }
  assert.equal(server.requests.length, 0);
  // TalkJS's own keys, and test keys with _ . ~ -, are taken.
  for (const secretKey of ["sk_live_AbC123", "sk_test_a.b~c-d_e"]) {
    createClient({ appId: APP, secretKey });
  }
});

Deno.test("Hono middleware logs and answers hold no secret", async () => {
  const logs = createSink();
  const app = new Hono<TalkJsEnv>();
  // A bad option is refused when the middleware is made, without the key.
  const refused = (() => {
    try {
      talkjs({ appId: APP, secretKey: SECRET, timeoutMs: -1 });
    } catch (error) {
      return error;
    }
  })();
  assert.ok(refused instanceof RangeError);
  logs.errors.push(refused);
  // Nothing listens on port 9: the call fails, and Hono logs the error.
  app.use(
    "/api/*",
    talkjs({
      appId: APP,
      secretKey: SECRET,
      baseUrl: "http://127.0.0.1:9",
      retry: false,
    }),
  );
  app.get("/api/x", async (c) => c.json(await c.var.talkjs.users.get("x")));
  app.use("/bare/*", talkjs({ secretKey: SECRET }));
  app.get("/bare/x", (c) => c.text("no"));
  app.post("/events", talkjsWebhook({ secret: SECRET }), (c) => c.text("ok"));
  const answers: string[] = [];
  await capturingConsole(logs, async () => {
    for (const path of ["/api/x", "/bare/x"]) {
      const res = await app.request(path);
      answers.push(`${res.status} ${await res.text()}`);
    }
    const body = '{"type":"user.created","data":{}}';
    const signed = await signWebhook({ secret: SECRET, body, timestamp: 1 });
    for (
      const headers of [
        {},
        signed,
        { ...signed, "X-TalkJS-Signature": "A".repeat(64) },
      ]
    ) {
      const res = await app.request("/events", {
        method: "POST",
        body,
        headers,
      });
      answers.push(`${res.status} ${await res.text()}`);
    }
  });
  assert.ok(answers.every((a) => !a.startsWith("200")), answers.join("\n"));
  assert.deepEqual(findLeaks(logs, [SECRET], answers), []);
});

// ---------------------------------------------------------------- token lifetime

Deno.test("createClient() tokens expire within tokenTtlSeconds, and the emulator refuses them after", async () => {
  for (const ttl of [30, 5, 0.5]) {
    const clock = createManualClock(1_700_000_000_000);
    const emu = createEmulator({
      appId: APP,
      secretKey: SECRET,
      rateLimit: false,
      clock,
    });
    const tokens: string[] = [];
    const talk = createClient({
      appId: APP,
      secretKey: SECRET,
      baseUrl: emu.baseUrl,
      clock,
      tokenTtlSeconds: ttl,
      fetch: (input, init) => {
        const req = new Request(input, init);
        tokens.push(req.headers.get("authorization")!.slice(7));
        return emu.fetch(req);
      },
    });
    await talk.users.put("alice", { name: "Alice" });
    await clock.advance(1_234);
    await talk.users.get("alice");
    assert.equal(tokens.length, 2);
    assert.notEqual(tokens[0], tokens[1], "a fresh token per request");
    for (const token of tokens) {
      const claims = decodeJwt(token);
      assert.equal(decodeProtectedHeader(token).alg, "HS256");
      assert.equal(claims.tokenType, "app");
      assert.equal(claims.iss, APP);
      assert.ok(
        claims.exp! - claims.iat! <= Math.ceil(ttl),
        `${claims.exp! - claims.iat!} s`,
      );
      assert.ok(claims.exp! * 1000 <= clock.now() + Math.ceil(ttl) * 1000);
    }
    const replay = (token: string) =>
      emu.fetch(`${emu.baseUrl}/v1/${APP}/users/alice`, {
        headers: { authorization: `Bearer ${token}` },
      });
    const last = tokens[1]!;
    const exp = decodeJwt(last).exp! * 1000;
    assert.equal((await replay(last)).status, 200, "fresh: accepted");
    await clock.advance(exp - clock.now());
    const late = await replay(last);
    assert.equal(late.status, 401, `replayed at exp (ttl ${ttl} s): refused`);
    assert.doesNotMatch(JSON.stringify(await late.json()), /eyJ|sk_test/);
  }
});

// ---------------------------------------------------------------- webhooks

const BODY = JSON.stringify({
  type: "message.sent",
  data: { message: { id: "m1" } },
});

Deno.test("verifyWebhook() compares the signature as bytes with Web Crypto's constant-time verify", async () => {
  const sink = createSink();
  const now = 1_700_000_000_000;
  const clock = createManualClock(now);
  const good = await signWebhook({
    secret: SECRET,
    body: BODY,
    timestamp: now,
  });
  const sig = good["X-TalkJS-Signature"];
  const flip = (i: number) =>
    sig.slice(0, i) + (sig[i] === "0" ? "1" : "0") + sig.slice(i + 1);
  const subtle = crypto.subtle;
  const verify = subtle.verify.bind(subtle);
  const sign = subtle.sign.bind(subtle);
  const seen: { verify: number; sign: number } = { verify: 0, sign: 0 };
  Object.assign(subtle, {
    verify: (...args: Parameters<SubtleCrypto["verify"]>) => {
      seen.verify++;
      return verify(...args);
    },
    sign: (...args: Parameters<SubtleCrypto["sign"]>) => {
      seen.sign++;
      return sign(...args);
    },
  });
  try {
    for (const signature of [flip(0), flip(63), flip(31)]) {
      const error = await verifyWebhook({
        secret: SECRET,
        body: BODY,
        headers: { ...good, "X-TalkJS-Signature": signature },
        clock,
      }).then(() => undefined, (e) => e);
      assert.ok(
        error instanceof TalkJsWebhookError && error.reason === "bad_signature",
      );
      sink.errors.push(error);
    }
    assert.deepEqual(
      seen,
      { verify: 3, sign: 0 },
      "verified by crypto.subtle.verify, never by computing and comparing strings",
    );
  } finally {
    Object.assign(subtle, { verify, sign });
  }
  assert.equal(sink.errors.length, 3);
  assert.deepEqual(findLeaks(sink, [SECRET]), []);
});

Deno.test("verifyWebhook() refuses stale and future timestamps (replays), in seconds and milliseconds", async () => {
  const sink = createSink();
  const now = 1_700_000_000_000;
  const clock = createManualClock(now);
  const cases: [number, boolean][] = [
    [now, true],
    [now - 299_000, true],
    [now - 301_000, false],
    [now + 301_000, false],
    [Math.floor(now / 1000) - 299, true],
    [Math.floor(now / 1000) - 301, false],
    [now - 86_400_000, false],
    [0, false],
  ];
  for (const [timestamp, fresh] of cases) {
    const headers = await signWebhook({
      secret: SECRET,
      body: BODY,
      timestamp,
    });
    const error = await verifyWebhook({
      secret: SECRET,
      body: BODY,
      headers,
      clock,
    })
      .then(() => undefined, (e) => e);
    if (fresh) assert.equal(error, undefined, `${timestamp}`);
    else {
      assert.ok(error instanceof TalkJsWebhookError, `${timestamp}: ${error}`);
      assert.equal(error.reason, "stale_timestamp");
      sink.errors.push(error);
    }
  }
  // Moving an old, genuine request's timestamp into the window breaks its signature.
  const old = await signWebhook({
    secret: SECRET,
    body: BODY,
    timestamp: now - 3_600_000,
  });
  const moved = await verifyWebhook({
    secret: SECRET,
    body: BODY,
    headers: { ...old, "X-TalkJS-Timestamp": String(now) },
    clock,
  }).then(() => undefined, (e) => e);
  assert.ok(
    moved instanceof TalkJsWebhookError && moved.reason === "bad_signature",
  );
  sink.errors.push(moved);
  assert.equal(sink.errors.length, 6);
  assert.deepEqual(findLeaks(sink, [SECRET]), []);
});

// ---------------------------------------------------------------- the emulator's door

function base64url(value: unknown): string {
  return btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

Deno.test("createEmulator() refuses tokens for another app, alg none, expired, another key, HS512, user tokens", async () => {
  const now = 1_700_000_000_000;
  const clock = createManualClock(now);
  const emu = createEmulator({
    appId: APP,
    secretKey: SECRET,
    rateLimit: false,
    clock,
  });
  const key = new TextEncoder().encode(SECRET);
  const seconds = Math.floor(now / 1000);
  const jwt = (claims: Record<string, unknown>, alg = "HS256", secret = key) =>
    new SignJWT({ tokenType: "app", ...claims })
      .setProtectedHeader({ alg, typ: "JWT" })
      .sign(secret);
  const good = await jwt({ iss: APP, iat: seconds, exp: seconds + 30 });
  const tokens: [string, string][] = [
    [
      "another app",
      await jwt({ iss: "tOtherApp", iat: seconds, exp: seconds + 30 }),
    ],
    [
      "alg none",
      `${base64url({ alg: "none", typ: "JWT" })}.${
        base64url({ tokenType: "app", iss: APP, exp: seconds + 30 })
      }.`,
    ],
    [
      "alg none, signature kept",
      `${base64url({ alg: "none", typ: "JWT" })}.${good.split(".")[1]}.${
        good.split(".")[2]
      }`,
    ],
    ["expired", await jwt({ iss: APP, iat: seconds - 60, exp: seconds - 1 })],
    [
      "another key",
      await jwt(
        { iss: APP, iat: seconds, exp: seconds + 30 },
        "HS256",
        new TextEncoder().encode("sk_test_other"),
      ),
    ],
    [
      "HS512",
      await jwt({ iss: APP, iat: seconds, exp: seconds + 30 }, "HS512"),
    ],
    ["no exp", await jwt({ iss: APP, iat: seconds })],
    [
      "a user token",
      await createUserToken({
        appId: APP,
        secretKey: SECRET,
        userId: "alice",
        clock,
      }),
    ],
    [
      "the signature of another token",
      `${good.split(".")[0]}.${
        base64url({ tokenType: "app", iss: APP, exp: seconds + 9999 })
      }.${good.split(".")[2]}`,
    ],
    ["another app's key as bearer", "sk_test_other"],
  ];
  const call = (token: string, appId = APP) =>
    emu.fetch(`${emu.baseUrl}/v1/${appId}/users`, {
      headers: { authorization: `Bearer ${token}` },
    });
  assert.equal((await call(good)).status, 200, "the genuine token works");
  assert.equal(
    (await call(await createAppToken({ appId: APP, secretKey: SECRET, clock })))
      .status,
    200,
  );
  for (const [name, token] of tokens) {
    const res = await call(token);
    const text = await res.text();
    assert.equal(res.status, 401, `${name}: ${text}`);
    assert.ok(
      !text.includes(token) && !text.includes(SECRET),
      `${name}: echoed`,
    );
  }
  // A genuine token of this app, on the path of another app.
  const other = await call(good, "tOtherApp");
  assert.equal(other.status, 401);
  await other.body?.cancel();
  assert.deepEqual(
    findLeaks({ ...createSink(), tokens: new Set([good]) }, [SECRET], [
      emu.stats,
    ]),
    [],
  );
});

Deno.test("findLeaks() finds a token planted deep in a cause, a field or a log line", () => {
  const token = "eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.c2lnbmF0dXJlLW9mLWEtdG9rZW4";
  const planted = createSink();
  planted.tokens.add(token);
  planted.errors.push(
    new Error("outer", {
      cause: new Error("inner", { cause: { header: `Bearer ${token}` } }),
    }),
  );
  assert.equal(
    findLeaks(planted, [SECRET]).length,
    2,
    "token and its signature",
  );
  const field = createSink();
  field.errors.push(Object.assign(new Error("x"), { hidden: SECRET }));
  field.logs.push(`key=${btoa(SECRET)}`);
  assert.ok(findLeaks(field, [SECRET]).length >= 1);
});
