// onRequest / onResponse (DESIGN.md "Observability"), against a loopback server.
import assert from "node:assert/strict";
import type {
  ClientOptions,
  RequestInfo,
  ResponseInfo,
} from "../src/client.ts";
import {
  TalkJsApiError,
  TalkJsNetworkError,
  TalkJsTimeoutError,
} from "../src/errors.ts";
import { createLimiter } from "../src/limiter.ts";
import { createManualClock } from "../src/manual_clock.ts";
import { json, startFakeServer } from "./_fake_server.ts";
import { captureConsole } from "./_console.ts";
import { client, SECRET } from "./_client.ts";
import { until } from "./_until.ts";

interface Recorder {
  requests: RequestInfo[];
  responses: ResponseInfo[];
  hooks: Pick<ClientOptions, "onRequest" | "onResponse">;
}

function recorder(): Recorder {
  const requests: RequestInfo[] = [];
  const responses: ResponseInfo[] = [];
  return {
    requests,
    responses,
    hooks: {
      onRequest: (info) => void requests.push(info),
      onResponse: (info) => void responses.push(info),
    },
  };
}

Deno.test("onRequest/onResponse: one pair per attempt, retries numbered", async () => {
  await using server = startFakeServer();
  server.queue(
    () => json({}, 503),
    () => json({}, 500),
    () => json({ id: "u1" }),
  );
  const clock = createManualClock(1_000);
  const events = recorder();
  const talk = client(server.url, {
    clock,
    retry: { minDelayMs: 10, maxDelayMs: 10, jitter: "none" },
    ...events.hooks,
  });
  const call = talk.users.get("u1");
  for (let n = 1; n <= 2; n++) {
    await until(() => events.responses.length === n, `attempt ${n}`);
    await until(() => clock.pending === 1, `the wait after attempt ${n}`);
    await clock.advance(10 * 2 ** (n - 1));
  }
  assert.deepEqual(await call, { id: "u1" });
  const path = "/v1/tApp/users/u1";
  assert.deepEqual(events.requests, [
    { method: "GET", path, attempt: 1, queuedMs: 0 },
    { method: "GET", path, attempt: 2, queuedMs: 0 },
    { method: "GET", path, attempt: 3, queuedMs: 0 },
  ]);
  assert.deepEqual(events.responses, [
    { method: "GET", path, attempt: 1, status: 503, durationMs: 0 },
    { method: "GET", path, attempt: 2, status: 500, durationMs: 0 },
    { method: "GET", path, attempt: 3, status: 200, durationMs: 0 },
  ]);
});

Deno.test("onResponse: a 429's Retry-After, and the query in the path", async () => {
  await using server = startFakeServer();
  server.queue(() => json({}, 429, { "retry-after": "7" }));
  const events = recorder();
  const talk = client(server.url, { retry: false, ...events.hooks });
  await assert.rejects(talk.users.list({ limit: 5 }), { status: 429 });
  const [response] = events.responses;
  assert.equal(response?.path, "/v1/tApp/users?limit=5");
  assert.equal(response?.status, 429);
  assert.equal(response?.retryAfterMs, 7000);
  assert.equal(response?.error, undefined, "the status says it: no body");
});

Deno.test("onResponse: a timed-out attempt has an error and no status", async () => {
  await using server = startFakeServer();
  const stalls: (() => void)[] = [];
  server.setDefault(() =>
    new Promise((resolve) => stalls.push(() => resolve(json({}))))
  );
  const clock = createManualClock(0);
  const events = recorder();
  const talk = client(server.url, {
    clock,
    timeoutMs: 5_000,
    retry: false,
    ...events.hooks,
  });
  const call = talk.users.get("u1");
  const failed = assert.rejects(call, TalkJsTimeoutError);
  await until(() => server.requests.length === 1, "the request to arrive");
  await clock.advance(5_000);
  await failed;
  assert.equal(events.responses.length, 1);
  const [response] = events.responses;
  assert.equal(response?.status, undefined);
  assert.ok(response?.error instanceof TalkJsTimeoutError);
  assert.equal(response?.durationMs, 5_000);
  assert.ok(!("status" in response!), "no status key at all");
  stalls.forEach((f) => f());
});

Deno.test("onResponse: a network failure has an error and no status", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const events = recorder();
  await assert.rejects(
    client(`http://127.0.0.1:${port}`, { retry: false, ...events.hooks })
      .users.get("u1"),
    TalkJsNetworkError,
  );
  assert.equal(events.requests.length, 1);
  assert.ok(events.responses[0]?.error instanceof TalkJsNetworkError);
  assert.equal(events.responses[0]?.status, undefined);
});

Deno.test("onResponse: a 200 that is not what the endpoint answers has its status and the error", async () => {
  await using server = startFakeServer();
  server.setDefault(() => json({ name: "no id" }));
  const events = recorder();
  const failed = await client(server.url, { retry: false, ...events.hooks })
    .users.get("u1").catch((error) => error);
  assert.ok(failed instanceof TalkJsApiError);
  assert.equal(failed.code, "TALKJS_UNEXPECTED_ANSWER");
  assert.equal(events.responses.length, 1);
  // A metrics hook must not count it as a success.
  assert.equal(events.responses[0]?.status, 200);
  const seen = events.responses[0]?.error as TalkJsApiError;
  assert.ok(seen instanceof TalkJsApiError);
  assert.deepEqual(
    [seen.code, seen.message, seen.status, seen.path],
    [failed.code, failed.message, failed.status, failed.path],
  );
});

Deno.test("onResponse: the error of a 200 that is not what the endpoint answers holds no body", async () => {
  await using server = startFakeServer();
  const events = recorder();
  const talk = client(server.url, { retry: false, ...events.hooks });
  const answers = [
    () => new Response("<html>RESPONSE-BODY-MARKER</html>", { status: 200 }),
    () => json("RESPONSE-BODY-MARKER"),
    () => json({ data: "RESPONSE-BODY-MARKER" }),
  ];
  for (const answer of answers) {
    server.setDefault(answer);
    const failed = await talk.users.get("u1").catch((error) => error);
    // The caller's error keeps the body; the hook's does not.
    assert.match(JSON.stringify(failed.body), /RESPONSE-BODY-MARKER|object/);
  }
  assert.equal(events.responses.length, 3);
  for (const event of events.responses) {
    assert.equal(
      (event.error as TalkJsApiError).code,
      "TALKJS_UNEXPECTED_ANSWER",
    );
    const dump = JSON.stringify(event) +
      Deno.inspect(event, { showHidden: true, depth: 10, getters: true });
    assert.ok(!dump.includes("RESPONSE-BODY-MARKER"), dump);
  }
});

Deno.test("onRequest: queuedMs is the time an attempt waited in the limiter", async () => {
  await using server = startFakeServer();
  const clock = createManualClock(0);
  const events = recorder();
  const talk = client(server.url, {
    clock,
    limiter: createLimiter({ clock, burst: 1, perSecond: 1, slackMs: 0 }),
    ...events.hooks,
  });
  const first = talk.users.put("a", { name: "A" });
  const second = talk.users.put("b", { name: "B" });
  await until(() => events.responses.length === 1, "the first answer");
  await until(() => clock.pending === 1, "the second's wait in the limiter");
  await clock.advance(999);
  assert.equal(events.requests.length, 1, "the second is still queued");
  await clock.advance(1);
  await Promise.all([first, second]);
  assert.deepEqual(
    events.requests.map((e) => [e.path, e.queuedMs]),
    [["/v1/tApp/users/a", 0], ["/v1/tApp/users/b", 1000]],
  );
});

Deno.test("onRequest/onResponse: a hook that throws is reported once and breaks nothing", async () => {
  await using server = startFakeServer();
  server.setDefault(() => json({ id: "u1" }));
  const logged = await captureConsole(async (logged) => {
    const talk = client(server.url, {
      onRequest() {
        throw new Error("hook bug");
      },
      // An async hook's rejection is caught too (no unhandled rejection).
      onResponse: () => Promise.reject(new Error("async hook bug")),
    });
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await talk.users.get("u1"), { id: "u1" });
    }
    await new Promise((r) => setTimeout(r, 0));
    return logged;
  }, ["error"]);
  assert.equal(logged.length, 1, "reported once");
  assert.match(String(logged[0]?.[0]), /hook threw/);
  assert.equal((logged[0]?.[1] as Error).message, "hook bug");
  assert.equal(server.requests.length, 3);
});

Deno.test("onRequest/onResponse: a hook failure that the console cannot print breaks nothing either", async () => {
  await using server = startFakeServer();
  server.setDefault(() => json({ id: "u1" }));
  const original = console.error;
  console.error = () => {
    throw new Error("console is broken");
  };
  try {
    const talk = client(server.url, {
      onResponse() {
        throw new Error("hook bug");
      },
    });
    assert.deepEqual(await talk.users.get("u1"), { id: "u1" });
  } finally {
    console.error = original;
  }
});

Deno.test("onRequest/onResponse: no event holds the secret key, a token or a body", async () => {
  await using server = startFakeServer();
  // Answers that echo what they were sent: headers (the token) and body.
  const echo = (status: number) => (req: { headers: Headers; body: string }) =>
    json({
      echoed: req.headers.get("authorization"),
      body: req.body,
      marker: "RESPONSE-BODY-MARKER",
    }, status);
  server.queue(echo(200), echo(400), echo(401), echo(503), echo(503));
  const clock = createManualClock(0);
  const events = recorder();
  const talk = client(server.url, {
    clock,
    timeoutMs: 1_000,
    retry: { retries: 1, minDelayMs: 1, maxDelayMs: 1, jitter: "none" },
    ...events.hooks,
  });
  const body = { name: "REQUEST-BODY-MARKER" };
  await talk.users.put("u1", body);
  await assert.rejects(talk.users.put("u1", body), TalkJsApiError);
  await assert.rejects(talk.users.put("u1", body), TalkJsApiError);
  const retried = assert.rejects(talk.users.put("u1", body), TalkJsApiError);
  await until(() => events.responses.length === 4, "the first 503");
  await until(() => clock.pending === 1, "the retry's wait");
  await clock.advance(1);
  await retried;
  // And one that times out.
  const stalls: (() => void)[] = [];
  server.setDefault(() =>
    new Promise((resolve) => stalls.push(() => resolve(json({}))))
  );
  const timedOut = assert.rejects(
    client(server.url, {
      clock,
      timeoutMs: 1_000,
      retry: false,
      ...events.hooks,
    })
      .users.put("u1", body),
    TalkJsTimeoutError,
  );
  await until(() => events.requests.length === 6, "the stalled request");
  await clock.advance(1_000);
  await timedOut;
  stalls.forEach((f) => f());

  assert.equal(events.requests.length, 6);
  assert.equal(events.responses.length, 6);
  const tokens = server.requests.map((r) =>
    r.headers.get("authorization")!.slice("Bearer ".length)
  );
  assert.equal(tokens.length, 6);
  const dumps = [...events.requests, ...events.responses].flatMap((e) => [
    JSON.stringify(e),
    Deno.inspect(e, { showHidden: true, depth: 10, getters: true }),
    e && "error" in e ? String((e.error as Error).stack) : "",
  ]).join("\n");
  for (const secret of [SECRET, ...tokens]) {
    assert.ok(!dumps.includes(secret), "a secret in an event");
  }
  for (const part of tokens.flatMap((t) => t.split("."))) {
    assert.ok(!dumps.includes(part), "a token part in an event");
  }
  assert.ok(!dumps.includes("REQUEST-BODY-MARKER"), "a request body");
  assert.ok(!dumps.includes("RESPONSE-BODY-MARKER"), "a response body");
  assert.deepEqual(events.responses.map((e) => e.status), [
    200,
    400,
    401,
    503,
    503,
    undefined,
  ]);
});

Deno.test("createClient() refuses hooks that are not functions", () => {
  for (const name of ["onRequest", "onResponse"]) {
    assert.throws(
      () => client("http://127.0.0.1:1", { [name]: "log" }),
      new TypeError(
        `Cannot create a TalkJS client as '${name}' must be a function: current value is "log"`,
      ),
    );
  }
});
