// The emulator's webhooks (src/emulator/_webhooks.ts): a user's Hono app and
// the emulator wired in one process, every event TalkJS documents arriving
// signed and typed after the call that causes it; delivery order, retries,
// timeouts on a manual clock, the events filter, and a loopback endpoint.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { Hono } from "hono";
import { createClient, type TalkJsClient, type WebhookEvent } from "../mod.ts";
import { talkjsWebhook } from "../hono.ts";
import {
  createEmulator,
  createManualClock,
  type EmulatorOptions,
  type ManualClock,
} from "../testing.ts";
import { captureConsole } from "./_console.ts";
import { until } from "./_until.ts";
import { emulatorArgs } from "./_served.ts";

const SECRET = "sk_test_emulator";

/** A promise with its resolve outside, for handlers a test holds and releases. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => resolve = r);
  return { promise, resolve };
}

type Handle = (event: WebhookEvent) => Response | Promise<Response>;

/** A user's app: talkjsWebhook() in front of a handler that records each event. */
function userApp(
  options: {
    clock?: ManualClock;
    handle?: Handle;
  } = {},
) {
  const received: WebhookEvent[] = [];
  const raw: { body: string; headers: Headers }[] = [];
  const app = new Hono();
  app.post("/talkjs/events", async (c, next) => {
    // The bytes as they arrived, for an independent signature check.
    raw.push({
      body: await c.req.raw.clone().text(),
      headers: c.req.raw.headers,
    });
    await next();
  });
  app.post(
    "/talkjs/events",
    talkjsWebhook({
      secret: SECRET,
      ...(options.clock ? { clock: options.clock } : {}),
    }),
    async (c) => {
      const event = c.var.talkjsEvent;
      received.push(event);
      return options.handle ? await options.handle(event) : c.text("ok");
    },
  );
  return { app, received, raw };
}

function setup(
  options: EmulatorOptions & {
    handle?: Handle;
  } = {},
) {
  const clock = options.clock as ManualClock | undefined;
  const user = userApp({
    ...(clock ? { clock } : {}),
    ...(options.handle ? { handle: options.handle } : {}),
  });
  const emu = createEmulator({
    rateLimit: false,
    ...options,
    webhooks: {
      url: "http://app.test/talkjs/events",
      fetch: user.app.fetch,
      ...options.webhooks,
    },
  });
  const talk: TalkJsClient = createClient({
    appId: emu.appId,
    secretKey: emu.secretKey,
    baseUrl: emu.baseUrl,
    fetch: emu.fetch,
    retry: false,
    ...(clock ? { clock } : {}),
  });
  return { emu, talk, ...user };
}

Deno.test("createEmulator({ webhooks }) sends each documented event to a Hono app, signed and typed, after the call that causes it", async () => {
  const { emu, talk, received, raw } = setup();
  /** Runs a step, then answers the events it caused, once delivered. */
  let seen = 0;
  async function step(run: () => unknown): Promise<WebhookEvent[]> {
    await run();
    await emu.webhooks.flush();
    const caused = received.slice(seen);
    seen = received.length;
    return caused;
  }
  const types = (events: WebhookEvent[]) => events.map((e) => e.type);

  const created = await step(() =>
    talk.users.putMany({
      alice: { name: "Alice", role: "customer" },
      bob: { name: "Bob", role: "agent", email: ["bob@example.com"] },
    })
  );
  assert.deepEqual(types(created), ["user.created", "user.created"]);
  const updated = await step(() => talk.users.put("alice", { name: "Ally" }));
  assert.deepEqual(types(updated), ["user.updated"]);
  const [userEvent] = updated;
  assert.ok(userEvent?.type === "user.updated");
  assert.equal(userEvent.data.user.name, "Ally");
  assert.match(userEvent.id!, /^evt_[A-Za-z0-9]{18}$/);
  assert.equal(typeof userEvent.createdAt, "number");

  // Conversations and participants: TalkJS documents no event for them.
  assert.deepEqual(
    await step(async () => {
      await talk.conversations.put("c1", {
        participants: ["alice", "bob"],
        custom: { ticket: "7" },
      });
      await talk.participants.patch("c1", "bob", { notify: false });
    }),
    [],
  );

  let ids: string[] = [];
  const sent = await step(async () => {
    ({ ids } = await talk.messages.send("c1", [
      { type: "UserMessage", sender: "alice", text: "Where is my parcel?" },
      { type: "SystemMessage", text: "An agent will answer soon" },
    ]));
  });
  assert.deepEqual(types(sent), ["message.sent", "message.sent"]);
  const [first, system] = sent;
  assert.ok(first?.type === "message.sent" && system?.type === "message.sent");
  // The fields TalkJS's own handlers read (its examples, docs/talkjs-api.md W7).
  assert.equal(first.data.message.id, ids[0]);
  assert.equal(first.data.message.senderId, "alice");
  assert.equal(first.data.message.text, "Where is my parcel?");
  assert.equal(first.data.message.type, "UserMessage");
  assert.equal(first.data.conversation.id, "c1");
  assert.deepEqual(first.data.conversation.custom, { ticket: "7" });
  assert.equal(first.data.sender?.role, "customer");
  assert.equal(system.data.message.type, "SystemMessage");
  assert.equal(system.data.sender, null);

  const edited = await step(() =>
    talk.messages.edit("c1", ids[0]!, { text: "Where is parcel 42?" })
  );
  assert.deepEqual(types(edited), ["message.updated"]);
  assert.ok(edited[0]?.type === "message.updated");
  assert.equal(edited[0].data.message.text, "Where is parcel 42?");
  assert.equal(typeof edited[0].data.message.editedAt, "number");

  const read = await step(() => emu.simulate.read("c1", "bob"));
  assert.deepEqual(types(read), ["message.read", "message.read"]);
  assert.ok(read[0]?.type === "message.read");
  assert.equal(read[0].data.recipient.id, "bob");
  assert.equal(read[0].data.message.senderId, "alice");
  assert.deepEqual(read[0].data.message.readBy, ["bob"]);

  const notified = await step(() =>
    emu.simulate.notification("c1", "alice", {
      events: [
        "notification.triggered",
        "notification.sent",
        "notification.delivered",
        "notification.opened",
        "notification.link.clicked",
        "notification.bounced",
      ],
      url: "https://example.com/inbox",
    })
  );
  // Alice has not read the system message: she is notified of it.
  assert.equal(notified.length, 6);
  for (const event of notified) {
    assert.ok(event.type.startsWith("notification."));
    const data = event.data as { notificationId?: string };
    assert.equal(
      data.notificationId,
      (notified[0]!.data as typeof data).notificationId,
    );
  }
  const clicked = notified.find((e) => e.type === "notification.link.clicked");
  assert.ok(clicked?.type === "notification.link.clicked");
  assert.equal(clicked.data.url, "https://example.com/inbox");
  assert.equal(clicked.data.recipient?.id, "alice");
  assert.deepEqual(clicked.data.messages?.map((m) => m.id), [ids[1]]);

  const deleted = await step(() => talk.messages.delete("c1", ids[0]!));
  assert.deepEqual(types(deleted), ["message.deleted"]);
  assert.ok(deleted[0]?.type === "message.deleted");
  assert.equal(deleted[0].data.message.id, ids[0]);

  const gone = await step(() => talk.conversations.delete("c1"));
  assert.deepEqual(types(gone), ["conversation.deleted"]);
  assert.ok(gone[0]?.type === "conversation.deleted");
  assert.deepEqual(Object.keys(gone[0].data.conversation.participants), [
    "alice",
    "bob",
  ]);

  // Every one of the 13 documented types arrived, each verified by
  // talkjsWebhook() and answered 200 on the first attempt.
  assert.equal(new Set(types(received)).size, 13);
  assert.deepEqual(
    emu.webhooks.deliveries.map((d) => [d.state, d.status, d.attempts]),
    received.map(() => ["delivered", 200, 1]),
  );
  // The same events as were received (conversations' lanes run side by
  // side, so only their order within a conversation or user is fixed).
  assert.deepEqual(
    emu.webhooks.deliveries.map((d) => d.id).sort(),
    received.map((e) => e.id).sort(),
  );
  // Signed as TalkJS documents it, checked here with node:crypto: uppercase
  // hex HMAC-SHA256 of timestamp + "." + the raw body, with the secret key.
  for (const { body, headers } of raw) {
    const timestamp = headers.get("x-talkjs-timestamp")!;
    const expected = createHmac("sha256", SECRET).update(`${timestamp}.${body}`)
      .digest("hex").toUpperCase();
    assert.equal(headers.get("x-talkjs-signature"), expected);
    assert.equal(headers.get("content-type"), "application/json");
  }
  assert.equal(raw.length, received.length);
});

Deno.test("createEmulator({ webhooks }) sends nothing for imports, repeated sends, empty edits, refused calls and reads", async () => {
  const { emu, talk, received } = setup();
  await talk.users.putMany({ alice: { name: "Alice" }, bob: { name: "Bob" } });
  await talk.conversations.put("c1", { participants: ["alice", "bob"] });
  await emu.webhooks.flush();
  const before = received.length;

  // "None of the typical things TalkJS does when sending messages happens."
  await talk.messages.import("c1", {
    type: "UserMessage",
    sender: "alice",
    text: "old",
    timestamp: 1_600_000_000_000,
    readBy: [],
  });
  const { ids } = await talk.messages.send("c1", {
    type: "UserMessage",
    sender: "alice",
    text: "once",
    idempotencyKey: "k1",
  });
  await talk.messages.send("c1", {
    type: "UserMessage",
    sender: "alice",
    text: "once",
    idempotencyKey: "k1",
  });
  await talk.messages.edit("c1", ids[0]!, {});
  await assert.rejects(talk.users.put("carol", { role: "x" })); // no name: 400
  await assert.rejects(talk.messages.delete("c1", "msg_missing")); // 404
  await assert.rejects(talk.conversations.delete("c9")); // 404
  await assert.rejects(
    talk.messages.send("c1", { type: "UserMessage", sender: "eve", text: "x" }),
  );
  await talk.conversations.get("c1");
  await emu.webhooks.flush();
  assert.deepEqual(received.slice(before).map((e) => e.type), ["message.sent"]);
});

Deno.test("createEmulator({ webhooks }) sends a /batch operation's events as the call's own", async () => {
  const { emu, talk, received } = setup();
  await talk.batch([
    [1, "PUT", "/users/alice", { name: "Alice" }],
    [2, "PUT", "/users/alice", { name: "Ally" }],
    [3, "PUT", "/conversations/c1", { participants: ["alice"] }],
    [4, "POST", "/conversations/c1/messages", [
      { type: "UserMessage", sender: "alice", text: "Hi" },
    ]],
  ]);
  await emu.webhooks.flush();
  // alice's events in order; the conversation's lane runs beside hers.
  assert.deepEqual(
    received.filter((e) => e.type.startsWith("user.")).map((e) => e.type),
    ["user.created", "user.updated"],
  );
  assert.deepEqual(received.map((e) => e.type).sort(), [
    "message.sent",
    "user.created",
    "user.updated",
  ]);
});

Deno.test("createEmulator({ webhooks }) answers the REST call while the handler stalls, then times it out after 5 s and retries once", async () => {
  const clock = createManualClock(Date.now());
  const stall = deferred();
  const entered: Request[] = [];
  const user = userApp({ clock });
  const emu = createEmulator({
    clock,
    rateLimit: false,
    webhooks: {
      url: "http://app.test/talkjs/events",
      fetch: async (request) => {
        entered.push(request);
        await stall.promise;
        return user.app.fetch(request);
      },
    },
  });
  const res = await emu.fetch(`${emu.baseUrl}/v1/${emu.appId}/users/alice`, {
    method: "PUT",
    headers: {
      authorization: `Bearer ${SECRET}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ name: "Alice" }),
  });
  // The REST answer came back before the event was even sent, and the
  // handler, which never answers, held nothing.
  assert.equal(res.status, 200);
  assert.equal(entered.length, 0);
  await until(() => entered.length === 1, "the first attempt");
  let flushed = false;
  const flushing = emu.webhooks.flush().then(() => flushed = true);

  await clock.advance(4_999);
  assert.deepEqual(pick(emu.webhooks.deliveries[0]), ["pending", 1, undefined]);
  await clock.advance(1);
  assert.equal(entered[0]!.signal.aborted, true, "the late request is aborted");
  assert.deepEqual(pick(emu.webhooks.deliveries[0]), [
    "pending",
    1,
    "no answer within 5000 ms",
  ]);
  await clock.advance(999);
  assert.equal(entered.length, 1, "the retry waits 1 s");
  await clock.advance(1);
  await until(() => entered.length === 2, "the retry");
  assert.equal(flushed, false);
  await clock.advance(5_000);
  await flushing;
  assert.deepEqual(pick(emu.webhooks.deliveries[0]), [
    "failed",
    2,
    "no answer within 5000 ms",
  ]);
  assert.equal(clock.pending, 0, "no timer is left behind");
  stall.resolve();
});

function pick(
  d: { state: string; attempts: number; error?: string } | undefined,
) {
  return [d?.state, d?.attempts, d?.error];
}

Deno.test("createEmulator({ webhooks }) retries a non-200 answer once, 1 s later, and reports the answer", async () => {
  const clock = createManualClock(Date.now());
  const statuses = [500, 200, 503, 401];
  const { emu, talk, received } = setup({
    clock,
    handle: () =>
      new Response("handler says no", { status: statuses.shift()! }),
  });
  const put = talk.users.put("alice", { name: "Alice" });
  await put;
  await until(() => received.length === 1, "the first attempt");
  await until(
    () => emu.webhooks.deliveries[0]?.status === 500,
    "the first answer",
  );
  assert.deepEqual(
    emu.webhooks.deliveries[0]?.error,
    "answered 500 (TalkJS retries anything but a 200): handler says no",
  );
  await clock.advance(1_000);
  await emu.webhooks.flush();
  assert.deepEqual(
    [emu.webhooks.deliveries[0]?.state, emu.webhooks.deliveries[0]?.status],
    ["delivered", 200],
  );
  assert.equal(emu.webhooks.deliveries[0]?.error, undefined);
  assert.equal(received[0]?.id, received[1]?.id, "the same event, sent again");

  await talk.users.put("alice", { name: "Ally" });
  await until(() => received.length === 3, "the next event's first attempt");
  await until(() => emu.webhooks.deliveries[1]?.status === 503, "its answer");
  const flushing = emu.webhooks.flush();
  await clock.advance(1_000);
  await flushing;
  const last = emu.webhooks.deliveries[1];
  assert.deepEqual([last?.state, last?.status, last?.attempts], [
    "failed",
    401,
    2,
  ]);
  assert.match(last!.error!, /^answered 401/);
});

Deno.test("createEmulator({ webhooks }) reports a failed request and a throwing handler, and the REST call still succeeds", async () => {
  const clock = createManualClock(Date.now());
  const emu = createEmulator({
    clock,
    rateLimit: false,
    webhooks: {
      url: "http://127.0.0.1:9/unreachable",
      fetch: () => Promise.reject(new TypeError("connection refused")),
    },
  });
  const throwing = new Hono().post("/talkjs/events", () => {
    throw new Error("handler bug");
  });
  const emu2 = createEmulator({
    clock,
    rateLimit: false,
    webhooks: { url: "http://app.test/talkjs/events", fetch: throwing.fetch },
  });
  // Hono logs the throwing handler's error: expected here.
  await captureConsole(async () => {
    for (const e of [emu, emu2]) {
      const res = await e.fetch(`${e.baseUrl}/v1/${e.appId}/users/alice`, {
        method: "PUT",
        headers: {
          authorization: `Bearer ${e.secretKey}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ name: "Alice" }),
      });
      assert.equal(res.status, 200);
      assert.equal(e.store.user("alice")?.name, "Alice");
      const flushing = e.webhooks.flush();
      await until(
        () => e.webhooks.deliveries[0]?.error !== undefined,
        "the first attempt",
      );
      await clock.advance(1_000);
      await flushing;
    }
  }, ["error"]);
  const [refused] = emu.webhooks.deliveries;
  assert.deepEqual([refused?.state, refused?.attempts], ["failed", 2]);
  assert.match(
    refused!.error!,
    /^the request failed: TypeError: connection refused/,
  );
  const [thrown] = emu2.webhooks.deliveries;
  assert.deepEqual([thrown?.state, thrown?.status], ["failed", 500]);
});

Deno.test("createEmulator({ webhooks }) sends each conversation's events in order, and a stalled one holds no other conversation", async () => {
  const hold = deferred();
  const { emu, talk, received } = setup({
    handle: async (event) => {
      if (
        event.type === "message.sent" && event.data.message.text === "first"
      ) {
        await hold.promise;
      }
      return new Response("ok");
    },
  });
  await talk.users.put("alice", { name: "Alice" });
  await talk.conversations.put("c1", { participants: ["alice"] });
  await talk.conversations.put("c2", { participants: ["alice"] });
  const send = (cid: string, text: string) =>
    talk.messages.send(cid, { type: "UserMessage", sender: "alice", text });
  await send("c1", "first");
  await send("c1", "second");
  await send("c2", "other");
  await talk.users.put("bob", { name: "Bob" });
  const label = (e: WebhookEvent) =>
    e.type === "message.sent" ? e.data.message.text : e.type;
  // While c1's first event is held, c2's and bob's arrive; c1's second does not.
  await until(
    () => received.length === 4,
    "user.created, the held first, other and bob's user.created",
  );
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(received.map(label).sort(), [
    "first",
    "other",
    "user.created",
    "user.created",
  ]);
  hold.resolve();
  await emu.webhooks.flush();
  const order = received.map(label);
  assert.deepEqual(
    order.filter((t) => t === "first" || t === "second"),
    ["first", "second"],
    "in order within c1",
  );
  assert.equal(order.at(-1), "second", "the held lane finishes last");
});

Deno.test("createEmulator({ webhooks }) keeps the latest 1,000 deliveries, and reset() stops what is under way", async () => {
  const hold = deferred();
  const clock = createManualClock(Date.now());
  const emu = createEmulator({
    rateLimit: false,
    clock,
    webhooks: {
      url: "http://app.test/talkjs/events",
      fetch: async () => {
        await hold.promise;
        return new Response("ok");
      },
    },
  });
  const put = (id: string) =>
    emu.fetch(`${emu.baseUrl}/v1/${emu.appId}/users/${id}`, {
      method: "PUT",
      headers: {
        authorization: `Bearer ${emu.secretKey}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ name: id }),
    });
  for (let i = 0; i < 1_005; i++) await put(`u${i}`);
  const kept = emu.webhooks.deliveries;
  assert.equal(kept.length, 1_000);
  assert.equal(kept[0]!.event.type, "user.created");
  assert.equal(
    (kept.at(-1)!.event.data as { user: { id: string } }).user.id,
    "u1004",
  );
  // Every lane is held by the stalled handler; reset() ends the waits at
  // once, on no clock.
  emu.reset();
  await emu.webhooks.flush();
  assert.equal(emu.webhooks.deliveries.length, 0);
  hold.resolve();
});

Deno.test("createEmulator({ webhooks: { events } }) sends only the events subscribed to", async () => {
  const { emu, talk, received } = setup({
    webhooks: {
      url: "http://app.test/talkjs/events",
      events: ["message.sent"],
    },
  });
  await talk.users.put("alice", { name: "Alice" });
  await talk.conversations.put("c1", { participants: ["alice"] });
  await talk.messages.send("c1", {
    type: "UserMessage",
    sender: "alice",
    text: "Hi",
  });
  await emu.webhooks.flush();
  assert.deepEqual(received.map((e) => e.type), ["message.sent"]);
  assert.deepEqual(emu.webhooks.deliveries.map((d) => d.type), [
    "message.sent",
  ]);
});

Deno.test("createEmulator() refuses a bad webhooks option, naming it", () => {
  const cases: [unknown, typeof TypeError, RegExp][] = [
    ["http://x", TypeError, /'webhooks' must be an object/],
    [{}, TypeError, /'webhooks\.url' must be an http/],
    [{ url: "ftp://x/" }, TypeError, /'webhooks\.url'.*"ftp:\/\/x\/"/],
    [{ url: "not a url" }, TypeError, /'webhooks\.url'/],
    [
      { url: "http://x/", fetch: "fetch" },
      TypeError,
      /'webhooks\.fetch' must be a function/,
    ],
    [
      { url: "http://x/", events: "message.sent" },
      TypeError,
      /'webhooks\.events' must be an array/,
    ],
    [
      { url: "http://x/", events: ["message.sent", "message.created"] },
      RangeError,
      /'webhooks\.events\[1\]' must be a TalkJS event type .*"message\.created"/,
    ],
  ];
  for (const [webhooks, type, message] of cases) {
    assert.throws(
      () => createEmulator({ webhooks: webhooks as never }),
      (error: Error) =>
        error.constructor === type && message.test(error.message),
      JSON.stringify(webhooks),
    );
  }
});

Deno.test("emu.simulate.read() marks messages read once each, with no events past 300 participants", async () => {
  const { emu, talk, received } = setup();
  await talk.users.putMany({ alice: { name: "Alice" }, bob: { name: "Bob" } });
  await talk.conversations.put("c1", { participants: ["alice", "bob"] });
  const { ids } = await talk.messages.send("c1", [
    { type: "UserMessage", sender: "alice", text: "1" },
    { type: "UserMessage", sender: "bob", text: "2" },
    { type: "UserMessage", sender: "alice", text: "3" },
  ]);
  await emu.webhooks.flush();
  const before = received.length;
  assert.deepEqual(emu.simulate.read("c1", "bob"), [ids[0], ids[2]]);
  assert.deepEqual(
    emu.simulate.read("c1", "bob"),
    [],
    "at most once per member",
  );
  assert.equal(
    (await talk.conversations.get("c1")).participants.bob?.isUnread,
    false,
  );
  await emu.webhooks.flush();
  assert.deepEqual(
    received.slice(before).map((e) =>
      e.type === "message.read" && e.data.message.id
    ),
    [ids[0], ids[2]],
  );

  const crowd = Object.fromEntries(
    Array.from({ length: 300 }, (_, i) => [`u${i}`, { name: `U${i}` }]),
  );
  await talk.users.putMany(crowd);
  // Exactly 300 participants: still sent.
  await talk.conversations.put("full", {
    participants: ["alice", ...Object.keys(crowd).slice(1)],
  });
  const full = await talk.messages.send("full", {
    type: "UserMessage",
    sender: "alice",
    text: "all of us",
  });
  await emu.webhooks.flush();
  const atLimit = received.length;
  emu.simulate.read("full", "u1");
  await emu.webhooks.flush();
  assert.deepEqual(
    received.slice(atLimit).map((e) =>
      e.type === "message.read" && e.data.message.id
    ),
    full.ids,
    "300 participants: message.read is sent",
  );
  await talk.conversations.put("big", {
    participants: ["alice", ...Object.keys(crowd)],
  });
  const big = await talk.messages.send("big", {
    type: "UserMessage",
    sender: "alice",
    text: "all",
  });
  await emu.webhooks.flush();
  const count = received.length;
  assert.deepEqual(emu.simulate.read("big", "u1"), big.ids);
  await emu.webhooks.flush();
  assert.equal(received.length, count, "301 participants: no message.read");
  assert.deepEqual((await talk.messages.get("big", big.ids[0]!)).readBy, [
    "u1",
  ]);
});

Deno.test("emu.simulate refuses unknown conversations, non-participants, unknown users and bad options", async () => {
  const emu = createEmulator();
  const talk = createClient({
    appId: emu.appId,
    secretKey: emu.secretKey,
    baseUrl: emu.baseUrl,
    fetch: emu.fetch,
  });
  await talk.users.putMany({ alice: { name: "Alice" }, bob: { name: "Bob" } });
  await talk.conversations.put("c1", {
    participants: ["alice", "bob", "ghost"],
  });
  type Case = [() => unknown, typeof TypeError, RegExp];
  const check = (cases: Case[]) => {
    for (const [call, type, message] of cases) {
      assert.throws(
        call,
        (error: Error) =>
          error.constructor === type && message.test(error.message),
        message.source,
      );
    }
  };
  check([
    [
      () => emu.simulate.read("", "bob"),
      TypeError,
      /'conversationId' must be a non-empty string/,
    ],
    [
      () => emu.simulate.read("c9", "bob"),
      RangeError,
      /'conversationId' must be a stored conversation: current value is "c9"/,
    ],
    [
      () => emu.simulate.read("c1", "carol"),
      RangeError,
      /'userId' must be a participant/,
    ],
    [
      () => emu.simulate.read("c1", "ghost"),
      RangeError,
      /'userId' must be a stored user/,
    ],
    [
      () => emu.simulate.notification("c1", "bob"),
      RangeError,
      /'userId' must be a participant with unread messages/,
    ],
  ]);
  await talk.messages.send("c1", {
    type: "UserMessage",
    sender: "alice",
    text: "Hi",
  });
  check([
    [
      () => emu.simulate.notification("c1", "bob", null as never),
      TypeError,
      /'options' must be an object/,
    ],
    [
      () => emu.simulate.notification("c1", "bob", { events: [] }),
      TypeError,
      /'options\.events' must be a non-empty array/,
    ],
    [
      () =>
        emu.simulate.notification("c1", "bob", {
          events: ["message.sent" as never],
        }),
      RangeError,
      /'options\.events\[0\]' must be a notification event type/,
    ],
    [
      () =>
        emu.simulate.notification("c1", "bob", {
          events: ["notification.link.clicked"],
        }),
      TypeError,
      /'options\.url' must be a non-empty string/,
    ],
  ]);
  // Without webhooks, simulate still changes the store.
  assert.match(emu.simulate.notification("c1", "bob"), /^ntf_/);
  assert.equal(emu.simulate.read("c1", "bob").length, 1);
  assert.deepEqual(emu.webhooks.deliveries, []);
  await emu.webhooks.flush();
});

Deno.test("emu.reset() forgets deliveries and drops queued events", async () => {
  const hold = deferred();
  const { emu, talk, received } = setup({
    handle: async () => {
      await hold.promise;
      return new Response("ok");
    },
  });
  await talk.users.put("alice", { name: "Alice" });
  await talk.users.put("alice", { name: "Ally" });
  await until(() => received.length === 1, "the first event, held");
  emu.reset();
  assert.deepEqual(emu.webhooks.deliveries, []);
  hold.resolve();
  await emu.webhooks.flush();
  assert.deepEqual(received.map((e) => e.type), ["user.created"]);
  assert.deepEqual(emu.webhooks.deliveries, []);
});

Deno.test("createEmulator({ webhooks }) posts to a loopback server with the default fetch", async () => {
  const bodies: { body: string; headers: Headers }[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      bodies.push({ body: await req.text(), headers: req.headers });
      return new Response("ok");
    },
  );
  try {
    const emu = createEmulator({
      webhooks: { url: `http://127.0.0.1:${server.addr.port}/talkjs/events` },
    });
    const talk = createClient({
      appId: emu.appId,
      secretKey: emu.secretKey,
      baseUrl: emu.baseUrl,
      fetch: emu.fetch,
    });
    await talk.users.put("alice", { name: "Alice" });
    await emu.webhooks.flush();
    assert.equal(bodies.length, 1);
    const { body, headers } = bodies[0]!;
    assert.equal(JSON.parse(body).type, "user.created");
    const expected = createHmac("sha256", emu.secretKey)
      .update(`${headers.get("x-talkjs-timestamp")}.${body}`).digest("hex")
      .toUpperCase();
    assert.equal(headers.get("x-talkjs-signature"), expected);
    assert.equal(emu.webhooks.deliveries[0]?.state, "delivered");
  } finally {
    await server.shutdown();
  }
});

Deno.test("bin/emulator.ts --webhook-url posts signed events to another process's endpoint and logs each", async () => {
  const got: WebhookEvent[] = [];
  const arrived = deferred();
  const app = new Hono().post(
    "/talkjs/events",
    talkjsWebhook({ secret: SECRET }),
    (c) => {
      got.push(c.var.talkjsEvent);
      arrived.resolve();
      return c.text("ok");
    },
  );
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    app.fetch,
  );
  const hook = `http://127.0.0.1:${server.addr.port}/talkjs/events`;
  const child = new Deno.Command(Deno.execPath(), {
    args: emulatorArgs("--port", "0", "--webhook-url", hook),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const reading = child.stdout.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (out += chunk) }),
  );
  const stderr = new Response(child.stderr).text();
  /** Waits until the output matches, at most 10 s: a stuck child fails the test. */
  async function printed(pattern: RegExp): Promise<RegExpExecArray> {
    for (let waited = 0; waited < 10_000; waited += 20) {
      const found = pattern.exec(out);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`not printed: ${pattern}\n${out}`);
  }
  try {
    const [, base] = await printed(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    assert.match(
      out,
      new RegExp(`webhooks: +POST ${hook}, signed with the secret key`),
    );
    const put = await fetch(`${base}/v1/tEmulator/users/alice`, {
      method: "PUT",
      headers: {
        authorization: "Bearer sk_test_emulator",
        "content-type": "application/json",
      },
      body: JSON.stringify({ name: "Alice" }),
    });
    assert.equal(put.status, 200);
    await put.body?.cancel();
    const [, id] = await printed(/webhook user\.created (evt_\w+): 200/);
    await arrived.promise;
    assert.equal(got[0]?.type, "user.created");
    assert.equal(got[0]?.id, id);
  } finally {
    try {
      child.kill("SIGTERM");
    } catch { /* already exited */ }
    await child.status;
    await reading.catch(() => {});
    await stderr;
    await server.shutdown();
  }
});

Deno.test("bin/emulator.ts refuses a webhook URL that is not http(s), naming it", async () => {
  for (
    const [args, env] of [
      [["--webhook-url", "ftp://example.com/x"], {}],
      [["--webhook-url"], {}],
      [[], { EMULATOR_WEBHOOK_URL: "localhost:3000/events" }],
    ] as [string[], Record<string, string>][]
  ) {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: emulatorArgs("--port", "0", ...args),
      env,
      stdout: "null",
      stderr: "piped",
    }).output();
    const printed = new TextDecoder().decode(stderr);
    assert.equal(code, 2, printed);
    assert.match(printed, /webhook-url|webhook URL/);
    // One line, as every bad flag (the usage is in --help).
    assert.equal(printed.trim().split("\n").length, 1, printed);
    assert.match(printed, /see deno task emulator --help/);
  }
});
