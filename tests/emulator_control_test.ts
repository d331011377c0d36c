// The emulator's own HTTP routes (src/emulator/_control.ts):
// `POST /_emulator/{appId}/simulate/read` and `…/simulate/notification` run
// emu.simulate for callers in other processes, over emu.fetch and over the
// served bin/emulator.ts; their events reach a handler signed; bad input is
// a 400 naming the field, a missing token a 401; TalkJS's paths, the rate
// limit and the stats are untouched.
import assert from "node:assert/strict";
import { Hono } from "hono";
import { createAppToken, createClient, type WebhookEvent } from "../mod.ts";
import { talkjsWebhook } from "../hono.ts";
import {
  createEmulator,
  createManualClock,
  type Emulator,
} from "../testing.ts";
import { fail, failedArgument } from "../src/_validate.ts";
import { emulatorArgs, startServed } from "./_served.ts";
import { until } from "./_until.ts";

const SECRET = "sk_test_emulator";

interface Answer {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/** A user's app: talkjsWebhook() (which checks the signature) in front of a recorder. */
function userApp() {
  const received: WebhookEvent[] = [];
  const app = new Hono().post(
    "/talkjs/events",
    talkjsWebhook({ secret: SECRET }),
    (c) => {
      received.push(c.var.talkjsEvent);
      return c.text("ok");
    },
  );
  return { app, received };
}

/** POSTs `body` as JSON to `{base}/_emulator/{appId}{path}`. */
async function post(
  send: typeof fetch,
  base: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${SECRET}` },
  appId = "tEmulator",
): Promise<Answer> {
  const res = await send(`${base}/_emulator/${appId}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
}

/**
 * Alice wrote two messages to Bob in c1 (and Bob one to her); `ghost` is a
 * participant but no user; nobody wrote in `quiet`.
 */
async function seed(emu: Emulator): Promise<string[]> {
  const talk = createClient({
    appId: emu.appId,
    secretKey: emu.secretKey,
    baseUrl: emu.baseUrl,
    fetch: emu.fetch,
    retry: false,
  });
  await talk.users.putMany({ alice: { name: "Alice" }, bob: { name: "Bob" } });
  await talk.conversations.put("c1", {
    participants: ["alice", "bob", "ghost"],
  });
  await talk.conversations.put("quiet", { participants: ["alice", "bob"] });
  const { ids } = await talk.messages.send("c1", [
    { type: "UserMessage", sender: "alice", text: "1" },
    { type: "UserMessage", sender: "bob", text: "2" },
    { type: "UserMessage", sender: "alice", text: "3" },
  ]);
  return [ids[0]!, ids[2]!];
}

function setup() {
  const user = userApp();
  const emu = createEmulator({
    rateLimit: false,
    webhooks: { url: "http://app.test/talkjs/events", fetch: user.app.fetch },
  });
  const call = (
    path: string,
    body: unknown,
    headers?: Record<string, string>,
    appId?: string,
  ) => post(emu.fetch, emu.baseUrl, path, body, headers, appId);
  return { emu, call, ...user };
}

Deno.test("POST /_emulator/{appId}/simulate/read and /notification deliver their signed events to the handler", async () => {
  const { emu, call, received } = setup();
  const unread = await seed(emu);
  await emu.webhooks.flush();
  const before = received.length;

  const notified = await call("/simulate/notification", {
    conversationId: "c1",
    userId: "bob",
    events: ["notification.triggered", "notification.link.clicked"],
    url: "https://example.com/orders/1",
  });
  assert.equal(notified.status, 200, JSON.stringify(notified.body));
  assert.match(notified.body.notificationId, /^ntf_\w{18}$/);

  // An app token works as well as the secret key.
  const token = await createAppToken({ appId: emu.appId, secretKey: SECRET });
  const read = await call("/simulate/read", {
    conversationId: "c1",
    userId: "bob",
  }, { authorization: `Bearer ${token}` });
  assert.deepEqual(read, { status: 200, body: { messageIds: unread } });
  assert.deepEqual(
    (await call("/simulate/read", { conversationId: "c1", userId: "bob" }))
      .body,
    { messageIds: [] },
    "read once",
  );

  await emu.webhooks.flush();
  const events = received.slice(before);
  assert.deepEqual(events.map((e) => e.type), [
    "notification.triggered",
    "notification.link.clicked",
    "message.read",
    "message.read",
  ]);
  for (const event of events.slice(0, 2)) {
    assert.ok(event.type.startsWith("notification."));
    const data = event.data as { notificationId: string; url?: string };
    assert.equal(data.notificationId, notified.body.notificationId);
  }
  assert.equal(
    (events[1]!.data as { url?: string }).url,
    "https://example.com/orders/1",
  );
  assert.deepEqual(
    events.slice(2).map((e) =>
      e.type === "message.read" && [e.data.message.id, e.data.recipient.id]
    ),
    unread.map((id) => [id, "bob"]),
  );
  assert.ok(emu.webhooks.deliveries.every((d) => d.status === 200));
  assert.deepEqual(emu.store.messages("c1").map((m) => m.readBy), [
    ["bob"],
    [],
    ["bob"],
  ]);
});

Deno.test("POST /_emulator/{appId}/simulate/* answers a 400 naming the field, a 404 for what is not stored, and changes nothing", async () => {
  const { emu, call, received } = setup();
  await seed(emu);
  await emu.webhooks.flush();
  const before = received.length;
  const ids = { conversationId: "c1", userId: "bob" };
  const cases: [string, unknown, number, string, RegExp][] = [
    ["/simulate/read", undefined, 400, "body", /must be a JSON object/],
    ["/simulate/read", ["c1", "bob"], 400, "body", /must be a JSON object/],
    ["/simulate/read", { conversationId: "c1" }, 400, "userId", /required/],
    [
      "/simulate/read",
      { conversationId: 7, userId: "bob" },
      400,
      "conversationId",
      /must be a non-empty string: current value is 7/,
    ],
    [
      "/simulate/read",
      { ...ids, events: ["notification.sent"] },
      400,
      "events",
      /not a known field/,
    ],
    [
      "/simulate/read",
      { conversationId: "c9", userId: "bob" },
      404,
      "conversationId",
      /must be a stored conversation: current value is "c9"/,
    ],
    [
      "/simulate/read",
      { conversationId: "c1", userId: "carol" },
      404,
      "userId",
      /must be a participant of the conversation/,
    ],
    [
      "/simulate/read",
      { conversationId: "c1", userId: "ghost" },
      404,
      "userId",
      /must be a stored user/,
    ],
    [
      "/simulate/notification",
      { ...ids, events: [] },
      400,
      "events",
      /must be a non-empty array/,
    ],
    [
      "/simulate/notification",
      { ...ids, events: "notification.sent" },
      400,
      "events",
      /must be a non-empty array/,
    ],
    [
      "/simulate/notification",
      { ...ids, events: ["notification.sent", "message.sent"] },
      400,
      "events[1]",
      /must be a notification event type .*: current value is "message.sent"/,
    ],
    [
      "/simulate/notification",
      { ...ids, events: ["notification.link.clicked"] },
      400,
      "url",
      /must be a non-empty string/,
    ],
    [
      "/simulate/notification",
      { ...ids, url: 5 },
      400,
      "url",
      /must be a non-empty string/,
    ],
    [
      "/simulate/notification",
      { conversationId: "quiet", userId: "bob" },
      400,
      "userId",
      /must be a participant with unread messages/,
    ],
    [
      "/simulate/notification",
      { conversationId: "c1", userId: "zed" },
      404,
      "userId",
      /must be a participant of the conversation/,
    ],
  ];
  for (const [path, body, status, field, reason] of cases) {
    const what = `${path} ${JSON.stringify(body)}`;
    const answer = await call(path, body);
    assert.equal(answer.status, status, what);
    assert.equal(
      answer.body.errorCode,
      status === 400 ? "BAD_REQUEST" : "NOT_FOUND",
      what,
    );
    assert.match(answer.body.reasons[field] ?? "", reason, what);
  }
  const text = await emu.fetch(
    `${emu.baseUrl}/_emulator/tEmulator/simulate/read`,
    {
      method: "POST",
      headers: {
        authorization: `Bearer ${SECRET}`,
        "content-type": "text/plain",
      },
      body: JSON.stringify(ids),
    },
  );
  assert.equal(text.status, 400);
  assert.match(
    (await text.json()).reasons["content-type"],
    /application\/json/,
  );

  await emu.webhooks.flush();
  assert.equal(received.length, before, "no event sent");
  assert.deepEqual(emu.store.messages("c1").map((m) => m.readBy), [
    [],
    [],
    [],
  ]);
});

Deno.test("POST /_emulator/{appId}/simulate/* refuses what the API refuses: 401 without a valid token or for another app ID", async () => {
  const { emu, call } = setup();
  await seed(emu);
  const ids = { conversationId: "c1", userId: "bob" };
  const cases: [Record<string, string>, string, string, RegExp][] = [
    [{}, "tEmulator", "authorization", /is missing/],
    [
      { authorization: "Bearer sk_test_other" },
      "tEmulator",
      "authorization",
      /must be/,
    ],
    [{ authorization: SECRET }, "tEmulator", "authorization", /must be/],
    [
      { authorization: `Bearer ${SECRET}` },
      "tOther",
      "appId",
      /does not serve/,
    ],
  ];
  for (const [headers, appId, field, reason] of cases) {
    for (const path of ["/simulate/read", "/simulate/notification"]) {
      const answer = await call(path, ids, headers, appId);
      assert.equal(answer.status, 401, `${path} ${JSON.stringify(headers)}`);
      assert.equal(answer.body.errorCode, "UNAUTHORIZED");
      assert.match(answer.body.reasons[field], reason);
    }
  }
  // An unknown route or method is a 404 once authorized, a 401 before.
  assert.equal((await call("/simulate/typing", ids)).status, 404);
  assert.equal((await call("/simulate/typing", ids, {})).status, 401);
  const get = await emu.fetch(
    `${emu.baseUrl}/_emulator/tEmulator/simulate/read`,
    {
      headers: { authorization: `Bearer ${SECRET}` },
    },
  );
  assert.equal(get.status, 404);
  assert.match(
    (await get.json()).reasons.path,
    /POST \/_emulator\/\{appId\}\/simulate\/read/,
  );
  assert.deepEqual(emu.store.messages("c1").map((m) => m.readBy), [[], [], []]);
});

Deno.test("POST /_emulator/{appId}/simulate/* takes no rate-limit budget, no injected fault and no place in emu.stats; TalkJS's paths are unchanged", async () => {
  // A manual clock that never moves: no budget comes back.
  const emu = createEmulator({
    rateLimit: { burst: 6, perSecond: 1 },
    clock: createManualClock(),
  });
  await seed(emu); // 4 of the 6
  const stats = structuredClone(emu.stats);
  emu.faults.inject({ status: 503 });
  const ids = { conversationId: "c1", userId: "bob" };
  for (let i = 0; i < 10; i++) {
    const answer = await post(emu.fetch, emu.baseUrl, "/simulate/read", ids);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  }
  assert.deepEqual(emu.stats, stats, "not counted");
  const auth = { authorization: `Bearer ${SECRET}` };
  const api = (path: string) =>
    emu.fetch(`${emu.baseUrl}/v1/tEmulator${path}`, { headers: auth });
  assert.equal(
    (await api("/users/alice")).status,
    503,
    "the fault waited for the API",
  );
  assert.equal((await api("/users/alice")).status, 200, "budget left: the 6th");
  // The control routes are not TalkJS endpoints under /v1.
  const inV1 = await api("/_emulator/tEmulator/simulate/read");
  assert.equal(inV1.status, 429, "the 7th TalkJS request: budget spent");
  await inV1.body?.cancel();
  const spent = await post(emu.fetch, emu.baseUrl, "/simulate/read", ids);
  assert.equal(spent.status, 200, "still answered with the budget spent");
  const free = createEmulator({ rateLimit: false });
  const missing = await free.fetch(
    `${free.baseUrl}/v1/tEmulator/simulate/read`,
    {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: "{}",
    },
  );
  assert.equal(missing.status, 404);
  assert.match(
    (await missing.json()).reasons.path,
    /no endpoint POST \/simulate\/read/,
  );
  assert.equal(free.stats.byRoute["POST (no route)"], 1);
});

Deno.test("Only paths that start with /_emulator/ as sent skip emu.stats: /_emulator and a percent-encoded /%5Femulator/ are counted as before, (no route)", async () => {
  const emu = createEmulator({ rateLimit: false });
  const auth = {
    authorization: `Bearer ${SECRET}`,
    "content-type": "application/json",
  };
  const body = JSON.stringify({ conversationId: "c1", userId: "bob" });
  for (const path of ["/%5Femulator/tEmulator/simulate/read", "/_emulator"]) {
    const res = await emu.fetch(`${emu.baseUrl}${path}`, {
      method: "POST",
      headers: auth,
      body,
    });
    assert.equal(res.status, 404, path);
    assert.match(
      (await res.json()).reasons.path,
      /every path starts with \/v1/,
    );
  }
  assert.equal(emu.stats.requests, 2);
  assert.equal(emu.stats.byRoute["POST (no route)"], 2);
});

Deno.test("bin/emulator.ts serves the simulate routes: their events reach another process's endpoint, signed", async () => {
  const { app, received } = userApp();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    app.fetch,
  );
  try {
    await using bin = await startServed(
      emulatorArgs(
        "--port",
        "0",
        "--webhook-url",
        `http://127.0.0.1:${server.addr.port}/talkjs/events`,
      ),
      // The whole banner, down to the simulate routes.
      /listening on (http:\/\/127\.0\.0\.1:\d+)[^]*simulate\/notification\n/,
    );
    const base = bin.match;
    assert.match(
      bin.banner,
      new RegExp(`POST ${base}/_emulator/tEmulator/simulate/read\n`),
    );
    const talk = createClient({
      appId: "tEmulator",
      secretKey: SECRET,
      baseUrl: base,
      retry: false,
    });
    await talk.users.putMany({
      alice: { name: "Alice" },
      bob: { name: "Bob" },
    });
    await talk.conversations.put("c1", { participants: ["alice", "bob"] });
    const { ids } = await talk.messages.send("c1", {
      type: "UserMessage",
      sender: "alice",
      text: "Hi",
    });
    const ok = { conversationId: "c1", userId: "bob" };
    const notified = await post(fetch, base, "/simulate/notification", {
      ...ok,
      events: ["notification.triggered", "notification.sent"],
    });
    assert.equal(notified.status, 200, JSON.stringify(notified.body));
    assert.deepEqual(await post(fetch, base, "/simulate/read", ok), {
      status: 200,
      body: { messageIds: ids },
    });
    const bad = await post(fetch, base, "/simulate/read", {
      ...ok,
      userId: "",
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.reasons.userId, /must be a non-empty string/);
    const anonymous = await post(fetch, base, "/simulate/read", ok, {});
    assert.equal(anonymous.status, 401);

    const types = () => received.map((e) => e.type);
    await until(() => types().includes("message.read"), "message.read", 10_000);
    assert.deepEqual(types(), [
      "user.created",
      "user.created",
      "message.sent",
      "notification.triggered",
      "notification.sent",
      "message.read",
    ]);
    const [triggered, sent] = received.slice(3);
    for (const event of [triggered, sent]) {
      assert.equal(
        (event!.data as { notificationId: string }).notificationId,
        notified.body.notificationId,
      );
    }
    const read = received.at(-1)!;
    assert.ok(read.type === "message.read");
    assert.equal(read.data.message.id, ids[0]);
    assert.equal((await talk.messages.get("c1", ids[0]!)).readBy[0], "bob");
  } finally {
    await server.shutdown();
  }
});

Deno.test("bin/emulator.ts --help lists the simulate routes and their bodies", async () => {
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: emulatorArgs("--help"),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0);
  const help = new TextDecoder().decode(stdout);
  assert.match(help, /POST \/_emulator\/\{appId\}\/simulate\/read\n/);
  assert.match(help, /POST \/_emulator\/\{appId\}\/simulate\/notification\n/);
  assert.match(help, /"events": \["notification\.triggered"/);
});

Deno.test("failedArgument() reads fail()'s message whatever its name or what hold: a quote, a line break", () => {
  const read = (what: string, name: string, value: unknown) => {
    try {
      fail(what, name, "a string", value, RangeError);
    } catch (error) {
      return failedArgument(error);
    }
  };
  assert.deepEqual(read("send", "query.it's", 1), {
    name: "query.it's",
    reason: "must be a string: current value is 1",
  });
  assert.deepEqual(read("send\nto", "x", "a\nb"), {
    name: "x",
    reason: 'must be a string: current value is "a\\nb"',
  });
  assert.equal(failedArgument(new TypeError("Cannot read 'x'")), undefined);
  assert.equal(
    failedArgument(new Error("Cannot x as 'y' must be z")),
    undefined,
  );
});
