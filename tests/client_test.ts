import assert from "node:assert/strict";
import { jwtVerify } from "jose";
import {
  createClient,
  type HttpMethod,
  type TalkJsClient,
} from "../src/client.ts";
import {
  TalkJsApiError,
  TalkJsError,
  TalkJsNetworkError,
  TalkJsTimeoutError,
} from "../src/errors.ts";
import { createLimiter } from "../src/limiter.ts";
import type { Clock } from "../src/clock.ts";
import { createManualClock } from "../src/manual_clock.ts";
import type { BatchOperation } from "../src/types.ts";
import {
  cutBody,
  json,
  startFakeServer,
  talkJsDefault,
} from "./_fake_server.ts";
import { createEmulator } from "../testing.ts";

import { APP, client, SECRET } from "./_client.ts";
import { until } from "./_until.ts";
const key = new TextEncoder().encode(SECRET);

function bearer(headers: Headers): string {
  const auth = headers.get("authorization") ?? "";
  assert.match(auth, /^Bearer /);
  return auth.slice("Bearer ".length);
}

Deno.test("createClient() signs a fresh HS256 app token per request", async () => {
  await using server = startFakeServer();
  const clock = createManualClock(1_700_000_000_000);
  const talk = client(server.url, { clock, tokenTtlSeconds: 45 });
  await talk.users.put("u1", { name: "A" });
  await clock.advance(1000);
  await talk.users.put("u1", { name: "B" });
  const [t1, t2] = server.requests.map((r) => bearer(r.headers));
  assert.notEqual(t1, t2);
  for (const [i, token] of [t1!, t2!].entries()) {
    const { payload, protectedHeader } = await jwtVerify(token, key, {
      issuer: APP,
      algorithms: ["HS256"],
      currentDate: new Date(clock.now()),
    });
    assert.equal(protectedHeader.alg, "HS256");
    assert.equal(payload.tokenType, "app");
    assert.equal(payload.iat, 1_700_000_000 + i);
    assert.equal(payload.exp, payload.iat! + 45);
  }
});

Deno.test("createClient() sends the secret key itself with auth: 'secret-key'", async () => {
  await using server = startFakeServer();
  await client(server.url, { auth: "secret-key" }).users.put("u1", {
    name: "A",
  });
  assert.equal(
    server.requests[0]!.headers.get("authorization"),
    `Bearer ${SECRET}`,
  );
});

Deno.test("createClient() sends TalkJS-REST-Version when apiVersion is set", async () => {
  await using server = startFakeServer();
  await client(server.url, { apiVersion: "2021-02-09" }).users.put("u1", {
    name: "A",
  });
  await client(server.url).users.put("u1", { name: "A" });
  assert.equal(
    server.requests[0]!.headers.get("talkjs-rest-version"),
    "2021-02-09",
  );
  assert.equal(server.requests[1]!.headers.get("talkjs-rest-version"), null);
});

Deno.test("request() sends GET without body or Content-Type, others with JSON", async () => {
  await using server = startFakeServer();
  server.setDefault((r) =>
    json(r.method === "GET" ? { id: "u1", name: "A", createdAt: 1 } : {})
  );
  const talk = client(server.url);
  const user = await talk.users.get("u1");
  assert.equal(user.name, "A");
  await talk.users.put("u1", { name: "A", custom: { x: "1" } });
  await talk.conversations.delete("c1");
  const [get, put, del] = server.requests;
  assert.equal(get!.body, "");
  assert.equal(get!.headers.get("content-type"), null);
  assert.equal(put!.headers.get("content-type"), "application/json");
  assert.deepEqual(JSON.parse(put!.body), { name: "A", custom: { x: "1" } });
  assert.equal(del!.method, "DELETE");
  assert.equal(del!.headers.get("content-type"), "application/json");
});

Deno.test("request() encodes every segment and refuses . and ..", async () => {
  await using server = startFakeServer();
  const talk = client(server.url);
  await talk.users.put("a/b", { name: "x" });
  await talk.users.put("ü ?#%", { name: "x" });
  await talk.request("PUT", ["users", "..."], { body: {} });
  assert.deepEqual(server.requests.map((r) => r.path), [
    "/v1/tApp/users/a%2Fb",
    "/v1/tApp/users/%C3%BC%20%3F%23%25",
    "/v1/tApp/users/...",
  ]);
  for (const bad of [".", ".."]) {
    await assert.rejects(talk.users.get(bad), {
      name: "TypeError",
      message: /'segments\[1\]' must not be "\." or "\.\."/,
    });
  }
  await assert.rejects(talk.users.get(""), {
    name: "TypeError",
    message:
      "Cannot get a user as 'userId' must be a non-empty string: current value is \"\"",
  });
  await assert.rejects(talk.users.get(42 as never), {
    name: "TypeError",
    message: /'userId'/,
  });
  assert.equal(server.requests.length, 3);
});

Deno.test("createClient() keeps a base URL's path prefix", async () => {
  await using server = startFakeServer();
  await client(server.url + "/proxy/").users.put("u", { name: "x" });
  assert.equal(server.requests[0]!.path, "/proxy/v1/tApp/users/u");
});

const U = { id: "u1", name: "A", createdAt: 1 };
const C = { id: "c1", participants: {}, createdAt: 1 };
const M = { id: "m1", conversationId: "c1", createdAt: 1 };

const endpoints: [
  string,
  (t: TalkJsClient) => Promise<unknown>,
  HttpMethod,
  string,
  unknown,
][] = [
  ["users.put", (t) => t.users.put("u1", { name: "A" }), "PUT", "/users/u1", {
    name: "A",
  }],
  ["users.get", (t) => t.users.get("u1"), "GET", "/users/u1", undefined],
  [
    "users.putMany",
    (t) => t.users.putMany({ u1: { name: "A" } }),
    "PUT",
    "/users",
    { u1: { name: "A" } },
  ],
  [
    "users.list",
    (t) => t.users.list({ limit: 5, startingAfter: "u9" }),
    "GET",
    "/users?limit=5&startingAfter=u9",
    undefined,
  ],
  [
    "users.conversations",
    (t) =>
      t.users.conversations({ userId: "u1", unreadsOnly: true, limit: 30 }),
    "GET",
    "/users/u1/conversations?limit=30&unreadsOnly=true",
    undefined,
  ],
  [
    "conversations.put",
    (t) => t.conversations.put("c1", { participants: ["u1"], subject: "S" }),
    "PUT",
    "/conversations/c1",
    { participants: ["u1"], subject: "S" },
  ],
  [
    "conversations.get",
    (t) => t.conversations.get("c1"),
    "GET",
    "/conversations/c1",
    undefined,
  ],
  [
    "conversations.delete",
    (t) => t.conversations.delete("c1"),
    "DELETE",
    "/conversations/c1",
    undefined,
  ],
  [
    "conversations.list",
    (t) =>
      t.conversations.list({
        lastMessageAfter: 5,
        orderBy: "createdAt",
        orderDirection: "ASC",
      }),
    "GET",
    "/conversations?lastMessageAfter=5&orderBy=createdAt&orderDirection=ASC",
    undefined,
  ],
  [
    "conversations.notify",
    (t) => t.conversations.notify("c1", { channels: ["email"] }),
    "POST",
    "/conversations/c1/notifications",
    { channels: ["email"] },
  ],
  [
    "participants.put",
    (t) => t.participants.put("c1", "u1"),
    "PUT",
    "/conversations/c1/participants/u1",
    {},
  ],
  [
    "participants.patch",
    (t) => t.participants.patch("c1", "u1", { access: "None" }),
    "PATCH",
    "/conversations/c1/participants/u1",
    { access: "None" },
  ],
  [
    "participants.delete",
    (t) => t.participants.delete("c1", "u1"),
    "DELETE",
    "/conversations/c1/participants/u1",
    undefined,
  ],
  [
    "participants.email",
    (t) => t.participants.email("c 1", "u/1"),
    "GET",
    "/conversations/c%201/participants/u%2F1/email",
    undefined,
  ],
  [
    "users.presences",
    (t) => t.users.presences({ userIds: ["u1"], isTyping: true }),
    "POST",
    "/presences",
    { userIds: ["u1"], isTyping: true },
  ],
  [
    "users.presences (no filters)",
    (t) => t.users.presences(),
    "POST",
    "/presences",
    {},
  ],
  [
    "messages.list",
    (t) => t.messages.list({ conversationId: "c1", limit: 100 }),
    "GET",
    "/conversations/c1/messages?limit=100",
    undefined,
  ],
  [
    "messages.get",
    (t) => t.messages.get("c1", "m1"),
    "GET",
    "/conversations/c1/messages/m1",
    undefined,
  ],
  [
    "messages.send",
    (t) => t.messages.send("c1", { type: "SystemMessage", text: "hi" }),
    "POST",
    "/conversations/c1/messages",
    [{ type: "SystemMessage", text: "hi" }],
  ],
  [
    "messages.import",
    (t) =>
      t.messages.import("c1", {
        type: "UserMessage",
        sender: "u1",
        text: "old",
        timestamp: 5,
      }),
    "POST",
    "/import/conversations/c1/messages",
    // TalkJS requires readBy: left out, it is sent empty.
    [{
      type: "UserMessage",
      sender: "u1",
      text: "old",
      timestamp: 5,
      readBy: [],
    }],
  ],
  [
    "messages.edit",
    (t) => t.messages.edit("c1", "m1", { text: "new" }),
    "PUT",
    "/conversations/c1/messages/m1",
    { text: "new" },
  ],
  [
    "messages.delete",
    (t) => t.messages.delete("c1", "m1"),
    "DELETE",
    "/conversations/c1/messages/m1",
    undefined,
  ],
  ["batch", (t) => t.batch([[1, "GET", "/users/u1"]]), "POST", "/batch", [[
    1,
    "GET",
    "/users/u1",
  ]]],
];

for (const [name, call, method, path, body] of endpoints) {
  Deno.test(`${name}() sends ${method} ${path}`, async () => {
    await using server = startFakeServer();
    server.setDefault((r) => {
      if (r.path.endsWith("/batch")) return json([[1, 200, U]]);
      if (r.path.endsWith("/email")) return json({ emailAddress: "a@b.c" });
      if (r.path.endsWith("/presences")) return json({ data: {} });
      if (r.method !== "GET") return talkJsDefault(r);
      if (r.path.includes("/messages/")) return json(M);
      if (r.path.includes("?") || r.path.endsWith("/users")) {
        return json({ data: [U] });
      }
      return json(r.path.includes("/conversations/") ? C : U);
    });
    await call(client(server.url));
    assert.equal(server.requests.length, 1);
    const [r] = server.requests;
    assert.equal(r!.method, method);
    assert.equal(r!.path, `/v1/${APP}${path}`);
    assert.deepEqual(r!.body === "" ? undefined : JSON.parse(r!.body), body);
  });
}

Deno.test("TalkJsApiError carries status, method, path, parsed body and reasons", async () => {
  await using server = startFakeServer();
  server.queue(() =>
    json({ errorCode: "INVALID_ARGS", reasons: { name: "required" } }, 400)
  );
  const error = await assert.rejects(
    client(server.url).users.put("u1", {}),
    (e) => {
      assert.ok(e instanceof TalkJsApiError);
      assert.ok(e instanceof TalkJsError);
      assert.equal(e.status, 400);
      assert.equal(e.method, "PUT");
      assert.equal(e.path, "/v1/tApp/users/u1");
      assert.deepEqual(e.body, {
        errorCode: "INVALID_ARGS",
        reasons: { name: "required" },
      });
      assert.deepEqual(e.reasons, { name: "required" });
      assert.equal(e.code, "TALKJS_API_ERROR");
      assert.equal(
        e.message,
        "Request failed with status 400: PUT /v1/tApp/users/u1 (name: required)",
      );
      return true;
    },
  );
  void error;
  assert.equal(server.requests.length, 1, "a 400 is never retried");
});

Deno.test("TalkJsApiError keeps a non-JSON body as text", async () => {
  await using server = startFakeServer();
  server.queue(() => new Response("<html>Bad gateway</html>", { status: 404 }));
  await assert.rejects(client(server.url).users.get("u1"), (e) => {
    assert.ok(e instanceof TalkJsApiError);
    assert.equal(e.body, "<html>Bad gateway</html>");
    return true;
  });
});

Deno.test("request() reads Retry-After in seconds and as an HTTP date", async () => {
  await using server = startFakeServer();
  const clock = createManualClock(Date.parse("2026-01-01T00:00:00Z"));
  server.queue(
    () => json({}, 429, { "retry-after": "7" }),
    () => json({}, 429, { "retry-after": "Thu, 01 Jan 2026 00:00:12 GMT" }),
  );
  const talk = client(server.url, { clock, retry: false });
  await assert.rejects(
    talk.users.get("u"),
    (e) => (e as TalkJsApiError).retryAfterMs === 7000,
  );
  await assert.rejects(
    talk.users.get("u"),
    (e) => (e as TalkJsApiError).retryAfterMs === 12000,
  );
  // A repeated header arrives joined with ", ": the first one counts.
  server.queue(() => json({}, 429, { "retry-after": "2, 3" }));
  await assert.rejects(
    talk.users.get("u"),
    (e) => (e as TalkJsApiError).retryAfterMs === 2000,
  );
});

Deno.test("request() retries 429 and 5xx, never 401 or 404", async () => {
  await using server = startFakeServer();
  server.queue(() => json({}, 503), () => json({}, 429), () => json(U));
  const talk = client(server.url);
  assert.deepEqual(await talk.users.get("u1"), U);
  assert.equal(server.requests.length, 3);
  for (const status of [401, 404]) {
    server.requests.length = 0;
    server.queue(() => json({}, status));
    await assert.rejects(talk.users.get("u1"), { status });
    assert.equal(server.requests.length, 1);
  }
  server.requests.length = 0;
  server.setDefault(() => json({}, 500));
  await assert.rejects(talk.users.get("u1"), { status: 500 });
  assert.equal(server.requests.length, 4, "1 attempt + 3 retries by default");
});

Deno.test("request() maps a body cut mid-read to TalkJsNetworkError and retries a GET", async () => {
  await using server = startFakeServer();
  server.queue(() => cutBody(), () => cutBody(), () => json({ data: [] }));
  const talk = client(server.url);
  assert.deepEqual(await talk.users.list(), { data: [] });
  assert.equal(server.requests.length, 3);
  server.queue(() => cutBody());
  await assert.rejects(
    client(server.url, { retry: false }).users.list(),
    (e) => {
      assert.ok(e instanceof TalkJsNetworkError);
      assert.match(
        e.message,
        /^Request failed before an answer: GET \/v1\/tApp\/users$/,
      );
      return true;
    },
  );
});

Deno.test("request() does not retry a non-idempotent POST after a lost answer", async () => {
  await using server = startFakeServer();
  server.setDefault(() => cutBody());
  const talk = client(server.url);
  const msg = {
    type: "UserMessage" as const,
    sender: "u",
    text: "t",
    timestamp: 1,
  };
  await assert.rejects(talk.messages.import("c1", msg), TalkJsNetworkError);
  assert.equal(server.requests.length, 1, "an import is not retried");
  await assert.rejects(
    talk.messages.send("c1", { type: "SystemMessage", text: "s" }),
    TalkJsNetworkError,
  );
  assert.equal(
    server.requests.length,
    2,
    "a system message has no idempotency key",
  );
  await assert.rejects(
    talk.messages.send("c1", { type: "UserMessage", sender: "u", text: "t" }),
    TalkJsNetworkError,
  );
  assert.equal(server.requests.length, 6, "a keyed send is retried");
  const keys = new Set(
    server.requests.slice(2).map((r) => JSON.parse(r.body)[0].idempotencyKey),
  );
  assert.equal(keys.size, 1, "every retry carries the same idempotency key");
});

Deno.test("a custom shouldRetry never resends a non-idempotent POST that TalkJS answered 200", async () => {
  await using server = startFakeServer();
  // A 200 whose body is not what the endpoint answers: TalkJS ran the
  // request, so sending it again would store its messages twice.
  server.setDefault(() => json({ nope: 1 }));
  const talk = client(server.url, {
    retry: {
      minDelayMs: 1,
      maxDelayMs: 2,
      shouldRetry: (e) => e instanceof TalkJsApiError,
    },
  });
  const unexpected = (e: unknown) =>
    e instanceof TalkJsApiError && e.code === "TALKJS_UNEXPECTED_ANSWER";
  await assert.rejects(
    talk.messages.send("c1", { type: "SystemMessage", text: "s" }),
    unexpected,
  );
  assert.equal(server.requests.length, 1, "a system message is sent once");
  await assert.rejects(talk.batch([[1, "GET", "/users/u1"]]), unexpected);
  assert.equal(server.requests.length, 2, "a batch is sent once");
  server.setDefault(() => new Response("not JSON", { status: 200 }));
  await assert.rejects(
    talk.request("POST", ["conversations", "c1", "messages"], { body: [] }),
    unexpected,
  );
  assert.equal(server.requests.length, 3, "a 200 that is not JSON: once too");
});

Deno.test("request() rejects, never throws, when a custom limiter's schedule throws", async () => {
  const { acquire, penalize } = createLimiter();
  const boom = new Error("closed");
  const schedule = () => {
    throw boom;
  };
  for (const retry of [undefined, false] as const) {
    const talk = client("http://127.0.0.1:1", {
      limiter: { acquire, penalize, schedule, pending: 0 },
      ...retry === false ? { retry } : {},
    });
    let answer: Promise<unknown> | undefined;
    assert.doesNotThrow(() => answer = talk.request("GET", ["users"]));
    await assert.rejects(answer!, (e) => e === boom);
  }
});

Deno.test("a custom limiter's synchronous throw meets the retry policy on the first attempt as on any other", async () => {
  const { acquire, penalize, schedule } = createLimiter();
  const busy = new TalkJsApiError({
    status: 429,
    method: "GET",
    path: "/limiter",
    body: {},
  });
  // Throws (a retryable error) on schedule call `on`, then runs as it should.
  // On call 2, after a first attempt answered 503.
  for (const on of [1, 2]) {
    await using server = startFakeServer();
    server.setDefault(() => json({ data: [] }));
    if (on === 2) server.queue(() => json({}, 503));
    let calls = 0;
    const retried: number[] = [];
    const talk = client(server.url, {
      limiter: {
        acquire,
        penalize,
        pending: 0,
        schedule: (fn, signal) => {
          if (++calls === on) throw busy;
          return schedule(fn, signal);
        },
      },
      retry: {
        minDelayMs: 1,
        maxDelayMs: 1,
        onRetry: ({ attempt }) => retried.push(attempt),
      },
    });
    assert.deepEqual(await talk.request("GET", ["users"]), { data: [] });
    assert.deepEqual(retried, on === 1 ? [1] : [1, 2], `throw on call ${on}`);
    assert.equal(server.requests.length, on);
  }
});

Deno.test("request() rejects with TalkJsNetworkError when nothing listens", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await assert.rejects(
    client(`http://127.0.0.1:${port}`, { retry: false }).users.get("u1"),
    TalkJsNetworkError,
  );
});

Deno.test("request() times out an attempt on the real clock, and clears its timer", async () => {
  // On the real clock the attempt arms a bare setTimeout: catch it and fire
  // it by hand rather than wait, and check that every one is cleared.
  const timeoutMs = 4321;
  const { setTimeout: realSetTimeout, clearTimeout: realClearTimeout } =
    globalThis;
  type Id = ReturnType<typeof setTimeout>;
  const armed: { id: Id; fire: () => void }[] = [];
  const cleared = new Set<Id>();
  globalThis.setTimeout = ((handler: () => void, ms?: number) => {
    const id = realSetTimeout(handler, ms);
    if (ms === timeoutMs) armed.push({ id, fire: handler });
    return id;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((id?: Id) => {
    if (id !== undefined) cleared.add(id);
    realClearTimeout(id);
  }) as typeof clearTimeout;
  try {
    let answer = true;
    let sent!: () => void;
    let wasSent = new Promise<void>((resolve) => sent = resolve);
    const talk = client("http://127.0.0.1:9", {
      retry: false,
      timeoutMs,
      // Answers the first request; then never: only an abort ends it.
      fetch: (_input, init) =>
        answer ? Promise.resolve(json({ id: "u1" })) : new Promise(
          (_resolve, reject) => {
            const signal = init!.signal!;
            signal.addEventListener("abort", () => reject(signal.reason));
            sent();
          },
        ),
    });
    assert.deepEqual(await talk.users.get("u1"), { id: "u1" });
    assert.equal(armed.length, 1, `no timer of ${timeoutMs} ms was armed`);
    assert.ok(cleared.has(armed[0]!.id), "the answered attempt's timer");

    answer = false;
    wasSent = new Promise<void>((resolve) => sent = resolve);
    let settled = false;
    const call = talk.users.get("u1");
    call.then(() => settled = true, () => settled = true);
    await wasSent;
    assert.equal(armed.length, 2, `no timer of ${timeoutMs} ms was armed`);
    armed[1]!.fire();
    for (let i = 0; i < 20 && !settled; i++) {
      await new Promise((resolve) => realSetTimeout(resolve, 0));
    }
    assert.ok(settled, "the timer fired and the call is still running");
    await assert.rejects(call, (e) => {
      assert.ok(e instanceof TalkJsTimeoutError, String(e));
      assert.equal(e.timeoutMs, timeoutMs);
      assert.equal((e.cause as Error).message, "TimeoutError: timed out");
      return true;
    });
    assert.ok(cleared.has(armed[1]!.id), "the timed-out attempt's timer");
  } finally {
    globalThis.setTimeout = realSetTimeout;
    globalThis.clearTimeout = realClearTimeout;
  }
});

Deno.test("request() never hands setTimeout a delay over 2^31 - 1 ms, which every runtime fires at once", async () => {
  // Node, Bun and Deno fire setTimeout(fn, 2147483647.5) after about 1 ms:
  // a timeoutMs just under 2^31 must not time the attempt out at once.
  const { setTimeout: realSetTimeout } = globalThis;
  const delays: number[] = [];
  globalThis.setTimeout = ((handler: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    return realSetTimeout(handler, 60_000); // cleared when the call settles
  }) as typeof setTimeout;
  try {
    for (const timeoutMs of [2 ** 31 - 0.5, 2 ** 31 - 1, 2 ** 31, 1e12]) {
      delays.length = 0;
      const talk = client("http://127.0.0.1:9", {
        retry: false,
        timeoutMs,
        fetch: () => Promise.resolve(json({ id: "u1" })),
      });
      assert.deepEqual(await talk.users.get("u1"), { id: "u1" });
      assert.ok(
        delays.every((ms) => ms <= 2 ** 31 - 1),
        `timeoutMs ${timeoutMs}: setTimeout got ${delays}`,
      );
    }
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
});

Deno.test("request() times out each attempt after timeoutMs", async () => {
  const clock = createManualClock(0);
  const emu = createEmulator({
    appId: APP,
    secretKey: SECRET,
    rateLimit: false,
    clock,
  });
  // Every request held for an hour: only the timeouts end the call.
  emu.faults.inject({ delayMs: 3_600_000, times: Infinity });
  let sent = 0;
  const talk = client(emu.baseUrl, {
    clock,
    fetch: (input, init) => {
      sent++;
      return emu.fetch(input, init);
    },
    timeoutMs: 50,
    retry: { retries: 1, minDelayMs: 1, maxDelayMs: 1 },
  });
  let settled = false;
  const call = talk.users.get("u1");
  call.then(() => settled = true, () => settled = true);
  for (let i = 0; i < 100 && !settled; i++) await clock.advance(10);
  assert.ok(settled, "still running after 1 s of clock time");
  await assert.rejects(call, (e) => {
    assert.ok(e instanceof TalkJsTimeoutError);
    assert.equal(e.timeoutMs, 50);
    assert.equal(
      e.message,
      "Request timed out after 50 ms: GET /v1/tApp/users/u1",
    );
    assert.equal((e.cause as Error).message, "TimeoutError: timed out");
    return true;
  });
  assert.equal(sent, 2);
  assert.equal(clock.pending, 0, "the held requests were let go");
});

Deno.test("request() rejects with the caller's abort reason and does not retry", async () => {
  await using server = startFakeServer();
  const stalls: (() => void)[] = [];
  let arrive!: () => void;
  const arrived = new Promise<void>((resolve) => arrive = resolve);
  server.setDefault(() =>
    new Promise((resolve) => {
      stalls.push(() => resolve(json({})));
      arrive();
    })
  );
  const controller = new AbortController();
  const call = client(server.url).users.get("u1", {
    signal: controller.signal,
  });
  await arrived;
  const reason = new Error("caller gave up");
  controller.abort(reason);
  await assert.rejects(call, (e) => e === reason);
  assert.equal(server.requests.length, 1);
  await assert.rejects(
    client(server.url).users.get("u1", { signal: controller.signal }),
    (e) => e === reason,
  );
  assert.equal(server.requests.length, 1, "an aborted signal sends nothing");
  stalls.forEach((f) => f());
});

Deno.test("errors never contain the secret key or the token", async () => {
  await using server = startFakeServer();
  server.setDefault((req) =>
    json({ echo: req.headers.get("authorization"), again: `${SECRET}!` }, 500, {
      "retry-after": "0",
    })
  );
  const talk = client(server.url, {
    retry: { retries: 1, minDelayMs: 1, maxDelayMs: 1 },
  });
  const errors: unknown[] = [];
  await talk.users.get("u1").catch((e) => errors.push(e));
  server.setDefault(() => cutBody());
  await talk.users.get("u1").catch((e) => errors.push(e));
  await client(server.url, { auth: "secret-key", retry: false }).users.get("u1")
    .catch((e) => errors.push(e));
  const tokens = server.requests.map((r) => bearer(r.headers));
  assert.equal(errors.length, 3);
  for (const error of errors) {
    assert.ok(error instanceof TalkJsError);
    const dumps = [
      error.message,
      error.stack ?? "",
      JSON.stringify(error),
      Deno.inspect(error, { depth: 10, showHidden: true }),
      String(error),
    ].join("\n");
    for (const secret of [SECRET, ...tokens]) {
      assert.ok(!dumps.includes(secret), "leaked a secret");
    }
  }
  assert.deepEqual((errors[0] as TalkJsApiError).body, {
    echo: "Bearer [redacted]",
    again: "[redacted]!",
  });
  const talkDump = Deno.inspect(talk, { depth: 10, showHidden: true }) +
    String(talk) + JSON.stringify(talk);
  assert.ok(!talkDump.includes(SECRET));
});

Deno.test("createClient() refuses bad options, naming them", () => {
  const ok = { appId: APP, secretKey: SECRET };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...ok, appId: "" }, /'appId' must be a non-empty string/],
    [{ ...ok, secretKey: "" }, /'secretKey' must be a non-empty string /],
    [{ ...ok, baseUrl: "not a url" }, /'baseUrl' must be an absolute URL/],
    [
      { ...ok, baseUrl: "ftp://x" },
      /'baseUrl' must be an absolute URL, http\(s\)/,
    ],
    [
      { ...ok, baseUrl: "https://x/?q=1" },
      /'baseUrl' must be an absolute URL, http\(s\), without query/,
    ],
    [{ ...ok, timeoutMs: -1 }, /'timeoutMs' must be a positive number/],
    [{ ...ok, timeoutMs: NaN }, /'timeoutMs'/],
    [{ ...ok, tokenTtlSeconds: 0 }, /'tokenTtlSeconds'/],
    [{ ...ok, auth: "basic" }, /'auth' must be "token" or "secret-key"/],
    [{ ...ok, fetch: "x" }, /'fetch' must be a function/],
    [{ ...ok, apiVersion: "v2" }, /'apiVersion'/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => createClient(options as never), message);
  }
  assert.throws(
    () => createClient(undefined as never),
    /'options' must be an object/,
  );
});

Deno.test("list methods validate limit per resource before sending", async () => {
  await using server = startFakeServer();
  const talk = client(server.url);
  await assert.rejects(talk.users.list({ limit: 101 }), {
    name: "RangeError",
    message:
      "Cannot list users as 'limit' must be an integer from 1 to 100: current value is 101",
  });
  await assert.rejects(talk.conversations.list({ limit: 101 }), RangeError);
  await assert.rejects(
    talk.messages.list({ conversationId: "c", limit: 0 }),
    RangeError,
  );
  await assert.rejects(talk.users.list({ limit: 2.5 }), RangeError);
  await assert.rejects(talk.users.list({ limit: NaN }), RangeError);
  await assert.rejects(talk.users.list({ limit: "5" as never }), TypeError);
  await assert.rejects(talk.messages.list({} as never), /'conversationId'/);
  assert.equal(talk.users.list.maxLimit, 100);
  assert.equal(talk.conversations.list.maxLimit, 100);
  assert.equal(talk.users.conversations.maxLimit, 100);
  assert.equal(talk.messages.list.maxLimit, 100);
  assert.equal(server.requests.length, 0);
});

Deno.test("request() refuses bodies that are not JSON", async () => {
  await using server = startFakeServer();
  const talk = client(server.url);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  await assert.rejects(talk.users.put("u", cyclic), {
    name: "TypeError",
    message: /'body' is not JSON-serializable/,
  });
  await assert.rejects(
    talk.users.put("u", { custom: { n: 1n } } as never),
    /'body' is not JSON-serializable/,
  );
  await assert.rejects(talk.messages.send("c", []), {
    name: "RangeError",
    message:
      "Cannot send messages as 'messages' must hold at least one message: it is empty",
  });
  await assert.rejects(talk.messages.import("c", []), RangeError);
  await assert.rejects(
    talk.messages.send("c", [{ type: "UserMessage", sender: "", text: "x" }]),
    /'messages\[0\]\.sender'/,
  );
  assert.equal(server.requests.length, 0);
});

Deno.test("users.putMany() chunks 100 users per PUT /users, reports progress and answers its counts", async () => {
  await using server = startFakeServer();
  const users = Object.fromEntries(
    Array.from({ length: 250 }, (_, i) => [`u${i}`, { name: `U${i}` }]),
  );
  const progress: number[] = [];
  const result = await client(server.url).users.putMany(users, {
    onProgress: (p) => progress.push(p.done),
  });
  // Counts, like send's { sent, requests } and import's { imported, requests }.
  assert.deepEqual(result, { put: 250, requests: 3 });
  const sizes = server.requests.map((r) =>
    Object.keys(JSON.parse(r.body)).length
  );
  assert.deepEqual(sizes, [100, 100, 50]);
  assert.deepEqual(progress, [100, 200, 250]);
  const all = server.requests.flatMap((r) => Object.keys(JSON.parse(r.body)));
  assert.deepEqual(all, Object.keys(users));
});

Deno.test("messages.send() chunks 10 per POST and adds idempotency keys", async () => {
  await using server = startFakeServer();
  const input = Array.from({ length: 25 }, (_, i) => ({
    type: "UserMessage" as const,
    sender: "u1",
    text: `m${i}`,
    ...(i === 3 ? { idempotencyKey: "mine" } : {}),
  }));
  const result = await client(server.url).messages.send("c1", input);
  const bodies = server.requests.map((r) => JSON.parse(r.body));
  assert.deepEqual(bodies.map((b) => b.length), [10, 10, 5]);
  const sent = bodies.flat();
  assert.deepEqual(sent.map((m) => m.text), input.map((m) => m.text));
  assert.equal(sent[3].idempotencyKey, "mine");
  assert.equal(new Set(sent.map((m) => m.idempotencyKey)).size, 25);
  assert.deepEqual(result.idempotencyKeys, sent.map((m) => m.idempotencyKey));
  assert.equal(result.requests, 3);
  assert.equal(
    "idempotencyKey" in input[0]!,
    false,
    "the caller's objects are not changed",
  );
});

Deno.test("messages.import() chunks 10 per POST and keeps timestamps", async () => {
  await using server = startFakeServer();
  const input = Array.from({ length: 21 }, (_, i) => ({
    type: "UserMessage" as const,
    sender: "u1",
    text: `m${i}`,
    timestamp: 1000 + i,
  }));
  assert.deepEqual(await client(server.url).messages.import("c1", input), {
    imported: 21,
    requests: 3,
  });
  const sent = server.requests.map((r) => JSON.parse(r.body));
  assert.deepEqual(sent.map((b) => b.length), [10, 10, 1]);
  assert.deepEqual(sent.flat(), input.map((m) => ({ ...m, readBy: [] })));
});

Deno.test("batch() sends 10 operations per request, one request per second", async () => {
  await using server = startFakeServer();
  const clock = createManualClock(0);
  server.setDefault((r) =>
    json(JSON.parse(r.body).map((op: unknown[]) => [op[0], 200, {}]))
  );
  const talk = client(server.url, { clock });
  const ops = Array.from(
    { length: 25 },
    (_, i) => [i, "GET", `/users/u${i}`] as [number, "GET", string],
  );
  const done = talk.batch(ops);
  await clock.advance(0);
  assert.equal(server.requests.length, 1);
  await clock.advance(999);
  assert.equal(server.requests.length, 1);
  await clock.advance(1);
  assert.equal(server.requests.length, 2);
  await clock.advance(1000);
  const results = await done;
  assert.equal(server.requests.length, 3);
  assert.deepEqual(results.map((r) => r[0]), ops.map((o) => o[0]));
  await assert.rejects(talk.batch([]), TypeError);
  await assert.rejects(
    talk.batch([[1, "GET", "users"]] as never),
    /must be a path starting with "\/"/,
  );
});

/** Makes the client's limiter on the test's clock. */
type MakeLimiter = (clock: Clock) => ReturnType<typeof createLimiter>;

/**
 * A client of an emulator on a manual clock, recording when each /batch
 * request goes and holding each /batch answer `holdBatchMs` on that clock.
 */
function batchOnEmulator(
  options: { limiter?: MakeLimiter; holdBatchMs?: number; retry?: false } = {},
) {
  const { limiter, holdBatchMs = 0, retry } = options;
  const clock = createManualClock(0);
  const emu = createEmulator({ clock });
  const batchesAt: number[] = [];
  const talk = createClient({
    appId: emu.appId,
    secretKey: emu.secretKey,
    baseUrl: emu.baseUrl,
    clock,
    ...(limiter ? { limiter: limiter(clock) } : {}),
    ...(retry === false ? { retry } : {}),
    fetch: async (input, init) => {
      const isBatch = String(input).endsWith("/batch");
      if (isBatch) batchesAt.push(clock.now());
      const response = await emu.fetch(input, init);
      if (isBatch && holdBatchMs) await clock.sleep(holdBatchMs);
      return response;
    },
  });
  return { clock, talk, batchesAt };
}

/** `n` operations that each put a user. */
const putOperations = (n: number) =>
  Array.from(
    { length: n },
    (_, i) => [i, "PUT", `/users/b${i}`, { name: "B" }] as BatchOperation,
  );

Deno.test("batch() sends its requests a second apart though they wait in a busy client's queue", async () => {
  const { clock, talk, batchesAt } = batchOnEmulator({
    retry: false, // a /batch 429 would fail the call
    limiter: (clock) => createLimiter({ clock, burst: 1, perSecond: 9 }),
  });
  await talk.users.put("u", { name: "U" });
  // Twenty calls ahead of the batch in the client's queue (2.2 s at 9/s).
  const gets = Array.from({ length: 20 }, () => talk.users.get("u"));
  const batch = talk.batch(putOperations(30)).catch((error) => error);
  await clock.advance(20_000);
  await Promise.all(gets);
  const results = await batch;
  assert.ok(Array.isArray(results), String(results));
  assert.equal(results.length, 30);
  assert.equal(batchesAt.length, 3);
  for (let i = 1; i < batchesAt.length; i++) {
    assert.ok(batchesAt[i]! - batchesAt[i - 1]! >= 1_000, `${batchesAt}`);
  }
});

Deno.test("batch() waits a second from each send, though an answer took 999 ms of it", async () => {
  const { clock, talk, batchesAt } = batchOnEmulator({
    retry: false,
    holdBatchMs: 999,
  });
  const batch = talk.batch(putOperations(20)).catch((error) => error);
  for (let i = 0; i < 50; i++) await clock.advance(100);
  const results = await batch;
  assert.ok(Array.isArray(results), String(results));
  assert.deepEqual(batchesAt, [0, 1000]);
});

Deno.test("batch() waiting for its second holds no place among a client's concurrent requests", async () => {
  const { clock, talk } = batchOnEmulator({
    limiter: (clock) => createLimiter({ clock, concurrency: 2 }),
  });
  await talk.users.put("u", { name: "U" });
  const batches = [1, 2, 3, 4].map((k) =>
    talk.batch([[k, "PUT", `/users/b${k}`, { name: "B" }]])
  );
  let gotAt = -1;
  const got = talk.users.get("u").then(() => gotAt = clock.now());
  for (let i = 0; i < 60 && gotAt < 0; i++) await clock.advance(100);
  assert.equal(gotAt, 0);
  for (let i = 0; i < 60; i++) await clock.advance(100);
  await Promise.all([...batches, got]);
});

Deno.test("batch() sends TalkJS's five-element operations as given, and refuses a sixth element or non-object options", async () => {
  await using server = startFakeServer();
  server.setDefault(() => json([[1, 200, {}], [2, 200, {}]]));
  const talk = client(server.url);
  const ops: BatchOperation[] = [
    [1, "GET", "/conversations", { limit: 5 }, { api_version: "2021-02-09" }],
    [2, "PUT", "/users/u1", { name: "A" }, { api_version: "2021-01-01" }],
  ];
  await talk.batch(ops);
  assert.deepEqual(JSON.parse(server.requests[0]!.body), ops);
  await assert.rejects(
    talk.batch([[1, "GET", "/users", {}, {}, "x"]] as never),
    /operations\[0\]/,
  );
  await assert.rejects(
    talk.batch([[1, "GET", "/users", {}, "2021-02-09"]] as never),
    /operations\[0\]\[4\]/,
  );
  // Options without a payload: the payload's place is named ({} for none).
  await assert.rejects(
    talk.batch([
      [1, "GET", "/users", undefined, { api_version: "2021-02-09" }],
    ] as never),
    /Cannot run a batch as 'operations\[0\]\[3\]' is not JSON-serializable: current value is undefined/,
  );
  assert.equal(server.requests.length, 1);
});

Deno.test("request() treats a 200 that is not JSON as a TalkJsApiError, never a success", async () => {
  await using server = startFakeServer();
  server.queue(
    () => new Response("<html>maintenance</html>", { status: 200 }),
    () => new Response("", { status: 200 }),
    () => json({ data: null }),
  );
  const talk = client(server.url, { retry: false });
  // Its own code, and the request's real path (not "users/u1").
  const unexpected = (path: string) => (e: unknown) =>
    e instanceof TalkJsApiError && e.status === 200 &&
    e.code === "TALKJS_UNEXPECTED_ANSWER" && e.path === path &&
    e.message.includes(`GET ${path}`) && e.message.startsWith("Unexpected");
  await assert.rejects(talk.users.get("u1"), unexpected(`/v1/${APP}/users/u1`));
  await assert.rejects(talk.users.get("u1"), unexpected(`/v1/${APP}/users/u1`));
  await assert.rejects(talk.users.list(), unexpected(`/v1/${APP}/users`));
});

Deno.test("createClient() calls fetch bare, as workerd's fetch insists (not as a method of some object)", async () => {
  await using server = startFakeServer();
  // workerd's fetch throws "Illegal invocation" when called with a `this`.
  const strictFetch = function (
    this: unknown,
    input: RequestInfo | URL,
    init?: RequestInit,
  ): Promise<Response> {
    if (this !== undefined && this !== globalThis) {
      throw new TypeError("Illegal invocation");
    }
    return fetch(input, init);
  };
  const talk = client(server.url, { fetch: strictFetch, retry: false });
  await talk.users.put("u1", { name: "A" });
  assert.equal(server.requests.length, 1);
});

Deno.test("an unexpected 200 (no id, no page, no ids) names its code and the request's real path", async () => {
  await using server = startFakeServer();
  server.queue(
    () => json({ name: "no id" }),
    () => json([{ id: "m1" }]),
    () => json({ results: [] }),
  );
  const talk = client(`${server.url}/base/`, { retry: false });
  const check =
    (method: string, path: string, expected: RegExp) => (e: unknown) => {
      assert.ok(e instanceof TalkJsApiError);
      assert.equal(e.code, "TALKJS_UNEXPECTED_ANSWER");
      assert.equal(e.status, 200);
      assert.equal(e.method, method);
      assert.equal(e.path, path);
      assert.match(e.message, expected);
      assert.equal(e.toJSON().code, "TALKJS_UNEXPECTED_ANSWER");
      return true;
    };
  await assert.rejects(
    talk.users.get("u 1"),
    check("GET", `/base/v1/${APP}/users/u%201`, /expected \{ id: string \}/),
  );
  await assert.rejects(
    talk.messages.send("c1", [
      { type: "UserMessage", sender: "a", text: "1" },
      { type: "UserMessage", sender: "a", text: "2" },
    ]),
    check(
      "POST",
      `/base/v1/${APP}/conversations/c1/messages`,
      /one \{ id \} per message sent \(2\)/,
    ),
  );
  await assert.rejects(
    talk.batch([[1, "GET", "/users/u1"]]),
    check("POST", `/base/v1/${APP}/batch`, /expected an array/),
  );
});

Deno.test("users.putMany() names the failed chunk on its error, to resume from", async () => {
  await using server = startFakeServer();
  server.queue(() => json({}), () => json({ reasons: { u150: "bad" } }, 400));
  const users = Object.fromEntries(
    Array.from({ length: 250 }, (_, i) => [`u${i}`, { name: `U${i}` }]),
  );
  await assert.rejects(client(server.url).users.putMany(users), (e) => {
    assert.ok(e instanceof TalkJsApiError);
    assert.deepEqual(e.chunk, { failedAt: 100, size: 100, total: 250 });
    assert.match(
      e.message,
      /\(users 100–199 of 250; the 100 before were stored\)$/,
    );
    assert.deepEqual(JSON.parse(JSON.stringify(e)).chunk, e.chunk);
    return true;
  });
  assert.equal(server.requests.length, 2, "no chunk after the failed one");
});

Deno.test("a chunked call aborted with a frozen TalkJsError rejects with that reason, not a TypeError", async () => {
  await using server = startFakeServer();
  const controller = new AbortController();
  const reason = Object.freeze(
    new TalkJsError("TALKJS_NETWORK_ERROR", "shutting down"),
  );
  // The first chunk is stored, then the caller aborts.
  server.queue(() => {
    controller.abort(reason);
    return json({});
  });
  const users = Object.fromEntries(
    Array.from({ length: 150 }, (_, i) => [`u${i}`, { name: `U${i}` }]),
  );
  await assert.rejects(
    client(server.url).users.putMany(users, { signal: controller.signal }),
    (e) => e === reason,
  );
});

Deno.test("createClient() refuses a secret key with spaces or control characters, and never shows it", () => {
  for (const secretKey of [`${SECRET}\n`, `${SECRET} x`, `${SECRET}\u00e9`]) {
    assert.throws(
      () => createClient({ appId: APP, secretKey }),
      (e) =>
        e instanceof TypeError && /'secretKey'/.test(e.message) &&
        !e.message.includes(SECRET),
    );
  }
  // With credentials, a base URL is refused for them, never shown, whatever
  // else is wrong with it (an ftp: one was shown, credentials and all).
  for (
    const baseUrl of [
      `https://u:${SECRET}@x.test`,
      `ftp://u:${SECRET}@x.test`,
      `https://u:${SECRET}@x.test/?q=1`,
      // Not even a URL (a bad port, a space in the host): still not shown.
      `https://u:${SECRET}@x.test:99999`,
      `https://u:${SECRET}@x .test`,
    ]
  ) {
    assert.throws(
      () => createClient({ appId: APP, secretKey: SECRET, baseUrl }),
      (e) =>
        e instanceof TypeError && /credentials/.test(e.message) &&
        !e.message.includes(SECRET),
    );
  }
});

Deno.test("request() redacts a token that a failing fetch quotes in its error", async () => {
  const talk = createClient({
    appId: APP,
    secretKey: SECRET,
    limiter: false,
    retry: false,
    fetch: (_input, init) =>
      Promise.reject(
        new TypeError(
          `Invalid header: ${new Headers(init?.headers).get("authorization")}`,
        ),
      ),
  });
  await assert.rejects(talk.users.get("u1"), (e) => {
    assert.ok(e instanceof TalkJsNetworkError);
    const cause = e.cause as Error;
    assert.match(
      cause.message,
      /^TypeError: Invalid header: Bearer \[redacted\]$/,
    );
    return true;
  });
});

Deno.test("request() never follows a redirect: a 3xx is a TalkJsApiError naming the Location, and the other host gets nothing", async () => {
  await using server = startFakeServer();
  await using elsewhere = startFakeServer();
  const talk = client(server.url);
  const target = `${elsewhere.url}/v1/${APP}/users/u1`;
  for (const status of [301, 302, 303, 307, 308]) {
    server.queue(() =>
      new Response("moved", { status, headers: { location: target } })
    );
    await assert.rejects(talk.users.put("u1", { name: "A" }), (e) => {
      assert.ok(e instanceof TalkJsApiError);
      assert.equal(e.status, status);
      assert.equal(e.location, target);
      assert.equal(
        e.message,
        `Request failed with status ${status}: PUT /v1/${APP}/users/u1 (a redirect to ${target}, not followed)`,
      );
      assert.equal(e.toJSON().location, target);
      return true;
    });
  }
  server.queue(() =>
    new Response(null, { status: 302, headers: { location: "/elsewhere" } })
  );
  await assert.rejects(talk.users.get("u1"), { status: 302 });
  // Not retried, and nothing reached the other host.
  assert.equal(server.requests.length, 6);
  assert.equal(elsewhere.requests.length, 0);
  // Any other failure has no location.
  server.queue(() => json({}, 404));
  const notFound = await talk.users.get("u2").catch((e) => e);
  assert.equal(notFound.status, 404);
  assert.equal("location" in notFound, false);
});

Deno.test("request() treats a browser's opaque redirect (status 0) as a redirect, not followed", async () => {
  const seen: (RequestRedirect | undefined)[] = [];
  const talk = createClient({
    appId: APP,
    secretKey: SECRET,
    limiter: false,
    retry: false,
    fetch: (_input, init) => {
      seen.push(init?.redirect);
      // What a browser answers for redirect: "manual".
      const response = Response.error();
      Object.defineProperty(response, "type", { value: "opaqueredirect" });
      return Promise.resolve(response);
    },
  });
  await assert.rejects(talk.users.put("u1", { name: "A" }), (e) => {
    assert.ok(e instanceof TalkJsApiError);
    assert.equal(e.status, 0);
    assert.match(
      e.message,
      /a redirect to \(hidden by the runtime\), not followed/,
    );
    return true;
  });
  assert.deepEqual(seen, ["manual"]);
});

Deno.test("request() holds the queue for Retry-After after a 429, at most a minute", async () => {
  await using server = startFakeServer();
  const clock = createManualClock(0);
  server.queue(() => json({}, 429, { "retry-after": "86400" }));
  const talk = client(server.url, {
    clock,
    retry: false,
    limiter: createLimiter({ clock, slackMs: 0 }),
  });
  await assert.rejects(talk.users.get("a"), { status: 429 });
  let done = false;
  const next = talk.users.get("b").catch(() => {}).finally(() => done = true);
  await clock.advance(59_999);
  assert.equal(done, false);
  await clock.advance(1);
  await next;
  assert.equal(server.requests.length, 2);
});

Deno.test("request() does not wait for a Retry-After beyond maxRetryAfterMs: the 429 is thrown at once", async () => {
  await using server = startFakeServer();
  const clock = createManualClock(0);
  server.queue(
    () => json({}, 429, { "retry-after": "2592000" }), // 30 days
    () => json({}, 429, { "retry-after": "30" }),
    () => json(U),
  );
  // The clock stands still, so a call that waits for the Retry-After never
  // ends: race the call against the first wait it starts on the clock (other
  // than its attempt's timeout, told apart by its length).
  const timeoutMs = 123_456;
  let waited!: (ms: number) => void;
  const firstWait = new Promise<string>((resolve) =>
    waited = (ms) => resolve(`waited ${ms} ms`)
  );
  const watched: Clock = {
    now: () => clock.now(),
    sleep(ms, signal) {
      if (ms !== timeoutMs) waited(ms);
      return clock.sleep(ms, signal);
    },
  };
  const talk = client(server.url, {
    clock: watched,
    timeoutMs,
    retry: { minDelayMs: 1, maxDelayMs: 2 },
  });
  const error = await Promise.race([
    talk.users.get("u").then(() => "resolved", (e) => e),
    firstWait,
  ]);
  assert.ok(
    error instanceof TalkJsApiError && error.retryAfterMs === 2_592_000_000,
    String(error),
  );
  assert.equal(server.requests.length, 1);
  // 30 s is within the default 60 s: waited for, then retried.
  const got = talk.users.get("u");
  await clock.advance(0);
  await clock.advance(29_999);
  assert.equal(server.requests.length, 2);
  await clock.advance(1);
  assert.deepEqual(await got, U);
  assert.equal(server.requests.length, 3);
});

Deno.test("a 429 on a path that merely ends in /batch holds the app's limiter", async () => {
  await using server = startFakeServer();
  const clock = createManualClock(0);
  server.queue(() => json({}, 429, { "retry-after": "5" }));
  const talk = client(server.url, {
    clock,
    retry: false,
    limiter: createLimiter({ clock, slackMs: 0 }),
  });
  await assert.rejects(talk.users.get("batch"), { status: 429 });
  let done = false;
  const next = talk.users.get("other").catch(() => {}).finally(() =>
    done = true
  );
  await clock.advance(4_999);
  assert.equal(done, false, "GET /users/batch's 429 did not hold the app");
  await clock.advance(1);
  await next;
});

Deno.test("createClient() refuses a limiter without schedule or penalize", () => {
  for (
    const limiter of [
      { acquire: () => Promise.resolve(() => {}) },
      { acquire: () => Promise.resolve(() => {}), schedule: () => {} },
      null,
    ]
  ) {
    assert.throws(
      () => client("http://127.0.0.1:1", { limiter: limiter as never }),
      (e) => e instanceof TypeError && /'limiter'/.test(e.message),
    );
  }
});

Deno.test("batch() that fails in a later chunk hands back the results of the chunks that ran", async () => {
  await using server = startFakeServer();
  const clock = createManualClock(0);
  server.queue(
    (r) =>
      json(
        JSON.parse(r.body).map((op: unknown[]) => [
          op[0],
          op[0] === 3 ? 404 : 200,
          {},
        ]),
      ),
    () => json({ reasons: { operations: "bad" } }, 400),
  );
  const talk = client(server.url, { clock });
  const ops = Array.from(
    { length: 20 },
    (_, i) => [i, "GET", `/users/u${i}`] as [number, "GET", string],
  );
  const done = talk.batch(ops).catch((e) => e);
  await clock.advance(0);
  await clock.advance(1000);
  const error = await done;
  assert.ok(error instanceof TalkJsApiError && error.status === 400);
  assert.match(
    error.message,
    /\(operations 10–19 of 20; the 10 before ran \(their results are in error\.chunk\.results\)\)$/,
  );
  assert.deepEqual(
    { ...error.chunk },
    { failedAt: 10, size: 10, total: 20 },
    "results is not enumerable",
  );
  const results = error.chunk!.results as unknown[][];
  assert.deepEqual(results.map((r) => [r[0], r[1]]), [
    [0, 200],
    [1, 200],
    [2, 200],
    [3, 404],
    [4, 200],
    [5, 200],
    [6, 200],
    [7, 200],
    [8, 200],
    [9, 200],
  ]);
  assert.ok(!/"results"\s*:/.test(JSON.stringify(error)));
});

Deno.test("batch() paces its retries at one /batch request per second too", async () => {
  await using server = startFakeServer();
  const clock = createManualClock(0);
  server.setDefault((r) =>
    json(JSON.parse(r.body).map((op: unknown[]) => [op[0], 200, {}]))
  );
  server.queue(() => json({}, 503));
  const talk = client(server.url, {
    clock,
    retry: { minDelayMs: 250, maxDelayMs: 250, jitter: "none" },
  });
  const ops = Array.from(
    { length: 30 },
    (_, i) => [i, "GET", `/users/u${i}`] as [number, "GET", string],
  );
  const done = talk.batch(ops);
  const counts: number[] = [];
  // t=0: the 503; t=250: its retry waits for the next /batch slot (t=1000);
  // the second and third chunks go at t=2000 and t=3000.
  const expected = [1, 1, 2, 3, 4];
  for (const [i, ms] of [0, 250, 750, 1000, 1000].entries()) {
    await clock.advance(ms);
    // Signing a token is real work the manual clock does not drive.
    await until(
      () => server.requests.length >= expected[i]!,
      `request ${expected[i]} at step ${i}`,
    );
    counts.push(server.requests.length);
  }
  assert.deepEqual(counts, expected);
  assert.deepEqual((await done).map((r) => r[0]), ops.map((o) => o[0]));
});

Deno.test("batch() keeps concurrent batches a second apart, and a /batch 429 holds no other request", async () => {
  await using server = startFakeServer();
  const clock = createManualClock(0);
  server.setDefault((r) =>
    r.path.endsWith("/batch")
      ? json(JSON.parse(r.body).map((op: unknown[]) => [op[0], 200, {}]))
      : json(U)
  );
  const talk = client(server.url, {
    clock,
    limiter: createLimiter({ clock, slackMs: 0 }),
  });
  const all = Promise.all(
    [1, 2, 3].map((i) => talk.batch([[i, "GET", "/users/u"]])),
  );
  await clock.advance(0);
  assert.equal(server.requests.length, 1);
  await clock.advance(999);
  assert.equal(server.requests.length, 1);
  await clock.advance(1);
  assert.equal(server.requests.length, 2);
  await clock.advance(1000);
  await all;
  assert.equal(server.requests.length, 3);

  server.queue(() => json({}, 429, { "retry-after": "30" }));
  await clock.advance(1000);
  const limited = client(server.url, {
    clock,
    retry: false,
    limiter: createLimiter({ clock, slackMs: 0 }),
  });
  await assert.rejects(limited.batch([[1, "GET", "/users/u"]]), {
    status: 429,
  });
  const before = server.requests.length;
  const user = limited.users.get("u");
  await clock.advance(0);
  assert.equal(
    server.requests.length,
    before + 1,
    "not held for the batch's Retry-After",
  );
  assert.deepEqual(await user, U);
});
