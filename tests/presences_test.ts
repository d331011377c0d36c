/**
 * `POST /presences` and `GET …/participants/{uid}/email`: the client's
 * answers checked, the emulator's answers and filters as TalkJS's User
 * Presence and Participation pages describe them, and `emu.presence.set`.
 */
import assert from "node:assert/strict";
import { createClient, TalkJsApiError, type TalkJsClient } from "../mod.ts";
import { createEmulator, type Emulator } from "../testing.ts";
import { json, startFakeServer } from "./_fake_server.ts";

function setup(): { emu: Emulator; talk: TalkJsClient } {
  const emu = createEmulator({ rateLimit: false });
  const talk = createClient({
    appId: emu.appId,
    secretKey: emu.secretKey,
    baseUrl: emu.baseUrl,
    fetch: emu.fetch,
  });
  return { emu, talk };
}

/** TalkJS's own answer example (User Presence page), verbatim. */
const TALKJS_EXAMPLE = {
  data: {
    "623b106653a97": {
      status: "online",
      backgroundSessions: [],
      widgets: [{
        selectedConversationId: "987654",
        custom: {},
        hasFocus: true,
        isTyping: false,
        sessionId: "0123456789-0123456789-abcde-abcde",
      }],
    },
  },
};

Deno.test("users.presences() resolves TalkJS's example answer as is, and refuses an answer without a data object", async () => {
  await using server = startFakeServer();
  const talk = createClient({
    appId: "tApp",
    secretKey: "sk_test_x",
    baseUrl: server.url,
    limiter: false,
    retry: false,
  });
  server.queue(() => json(TALKJS_EXAMPLE));
  assert.deepEqual(await talk.users.presences(), TALKJS_EXAMPLE);
  for (const answer of [{}, { data: null }, { data: "x" }, []]) {
    server.queue(() => json(answer));
    await assert.rejects(
      talk.users.presences(),
      (e) =>
        e instanceof TalkJsApiError && e.status === 200 &&
        /expected \{ data: object \}/.test(String(e.body)),
    );
  }
});

Deno.test("participants.email() resolves { emailAddress }, and refuses an answer without one", async () => {
  await using server = startFakeServer();
  const talk = createClient({
    appId: "tApp",
    secretKey: "sk_test_x",
    baseUrl: server.url,
    limiter: false,
    retry: false,
  });
  server.queue(() => json({ emailAddress: "x@reply.example" }));
  assert.deepEqual(await talk.participants.email("order_391_fc", "u"), {
    emailAddress: "x@reply.example",
  });
  // A participant record is not an address.
  for (const answer of [{ access: "ReadWrite" }, { emailAddress: "" }, null]) {
    server.queue(() => json(answer));
    await assert.rejects(
      talk.participants.email("c", "u"),
      (e) =>
        e instanceof TalkJsApiError &&
        /expected \{ emailAddress: string \}/.test(String(e.body)),
    );
  }
});

Deno.test("emulator POST /presences answers { data: {} } while nobody is online", async () => {
  const { emu, talk } = setup();
  assert.deepEqual(await talk.users.presences(), { data: {} });
  const res = await emu.fetch(`${emu.baseUrl}/v1/${emu.appId}/presences`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${emu.secretKey}`,
      "content-type": "application/json",
    },
  });
  assert.equal(res.status, 200, "no body is no filter");
  assert.deepEqual(await res.json(), { data: {} });
});

Deno.test("emulator POST /presences lists users with a widget by default, and applies each documented filter", async () => {
  const { emu, talk } = setup();
  emu.presence.set("reader", {
    widgets: [{
      selectedConversationId: "c1",
      hasFocus: true,
      sessionId: "r1",
    }],
    backgroundSessions: [{ sessionId: "r0" }],
  });
  emu.presence.set("typist", {
    widgets: [
      { selectedConversationId: null, sessionId: "t1" },
      {
        selectedConversationId: "c2",
        isTyping: true,
        sessionId: "t2",
        custom: { tab: "2" },
      },
    ],
  });
  emu.presence.set("background", { backgroundSessions: [{ sessionId: "b0" }] });
  const ids = async (filters = {}) =>
    Object.keys((await talk.users.presences(filters)).data).sort();

  assert.deepEqual(await ids(), ["reader", "typist"]);
  assert.deepEqual(await ids({ includeBackgroundSessions: true }), [
    "background",
    "reader",
    "typist",
  ]);
  assert.deepEqual(await ids({ selectedConversationId: "c1" }), ["reader"]);
  assert.deepEqual(await ids({ selectedConversationId: null }), ["typist"]);
  assert.deepEqual(await ids({ hasFocus: true }), ["reader"]);
  assert.deepEqual(await ids({ hasFocus: false }), ["typist"]);
  assert.deepEqual(await ids({ isTyping: true }), ["typist"]);
  assert.deepEqual(await ids({ isTyping: false }), ["reader", "typist"]);
  assert.deepEqual(await ids({ userIds: ["reader", "nobody"] }), ["reader"]);
  assert.deepEqual(await ids({ userIds: [] }), []);
  // Filters combine: one session must match all of them.
  assert.deepEqual(
    await ids({ selectedConversationId: "c2", isTyping: true }),
    ["typist"],
  );
  assert.deepEqual(
    await ids({ selectedConversationId: null, isTyping: true }),
    [],
  );

  const { data } = await talk.users.presences();
  assert.deepEqual(data["typist"], {
    status: "online",
    backgroundSessions: [],
    widgets: [
      {
        selectedConversationId: null,
        custom: {},
        hasFocus: false,
        isTyping: false,
        sessionId: "t1",
      },
      {
        selectedConversationId: "c2",
        custom: { tab: "2" },
        hasFocus: false,
        isTyping: true,
        sessionId: "t2",
      },
    ],
  });
  assert.deepEqual(
    data["reader"]!.backgroundSessions,
    [],
    "only with includeBackgroundSessions",
  );
  const all = await talk.users.presences({ includeBackgroundSessions: true });
  assert.deepEqual(all.data["background"], {
    status: "online",
    backgroundSessions: [{
      selectedConversationId: null,
      custom: {},
      hasFocus: false,
      isTyping: false,
      sessionId: "b0",
    }],
    widgets: [],
  });
  assert.equal(all.data["reader"]!.backgroundSessions[0]!.sessionId, "r0");

  // Setting no sessions takes a user offline; reset() takes everyone.
  emu.presence.set("typist", { widgets: [] });
  assert.deepEqual(await ids(), ["reader"]);
  emu.reset();
  assert.deepEqual(await ids({ includeBackgroundSessions: true }), []);
});

Deno.test("emulator POST /presences refuses bad filters with a 400 naming each", async () => {
  const { talk } = setup();
  await assert.rejects(
    talk.users.presences({
      hasFocus: "yes" as never,
      userIds: [""],
      selectedConversationId: 5 as never,
      since: 1,
    } as never),
    (e) => {
      assert.ok(e instanceof TalkJsApiError && e.status === 400);
      assert.deepEqual(Object.keys(e.reasons ?? {}).sort(), [
        "hasFocus",
        "selectedConversationId",
        "since",
        "userIds",
      ]);
      return true;
    },
  );
});

Deno.test("emu.presence.set() fills in a session's defaults, generates session IDs, and refuses bad sessions naming the field", async () => {
  const { emu, talk } = setup();
  emu.presence.set("u", { widgets: [{}, {}] });
  const { widgets } = (await talk.users.presences()).data["u"]!;
  assert.equal(widgets.length, 2);
  for (const session of widgets) {
    assert.deepEqual({ ...session, sessionId: "" }, {
      selectedConversationId: null,
      custom: {},
      hasFocus: false,
      isTyping: false,
      sessionId: "",
    });
    assert.match(session.sessionId, /\S/);
  }
  assert.notEqual(widgets[0]!.sessionId, widgets[1]!.sessionId);

  const bad: [unknown, unknown, RegExp][] = [
    ["", {}, /'userId' must be a non-empty string/],
    ["u", null, /'sessions' must be an object/],
    ["u", { widget: [] }, /'sessions\.widget' must be a known field/],
    ["u", { widgets: {} }, /'sessions\.widgets' must be an array/],
    ["u", { widgets: [null] }, /'sessions\.widgets\[0\]' must be an object/],
    [
      "u",
      { widgets: [{ hasFocus: "yes" }] },
      /'sessions\.widgets\[0\]\.hasFocus' must be true or false/,
    ],
    [
      "u",
      { backgroundSessions: [{ custom: { n: 1 } }] },
      /'sessions\.backgroundSessions\[0\]\.custom'/,
    ],
    [
      "u",
      { widgets: [{ sessionId: "" }] },
      /'sessions\.widgets\[0\]\.sessionId'/,
    ],
    [
      "u",
      { widgets: [{ conversationId: "c" }] },
      /'sessions\.widgets\[0\]\.conversationId' must be a known field/,
    ],
  ];
  for (const [userId, sessions, message] of bad) {
    assert.throws(
      () => emu.presence.set(userId as never, sessions as never),
      (e) => e instanceof TypeError && message.test(e.message),
      String(message),
    );
  }
  // A refused call changes nothing.
  assert.equal((await talk.users.presences()).data["u"]!.widgets.length, 2);
});

Deno.test("emulator GET …/participants/{uid}/email answers a stable address per participant, and 404s naming what is missing", async () => {
  const { emu, talk } = setup();
  await talk.users.putMany({ alice: { name: "A" }, "u/2": { name: "B" } });
  await talk.conversations.put("c 1", { participants: ["alice", "u/2"] });
  await talk.conversations.put("c2", { participants: ["alice"] });
  const a1 = (await talk.participants.email("c 1", "alice")).emailAddress;
  assert.match(a1, /^[0-9a-f]{20}@reply\.talkjs\.invalid$/);
  assert.equal(
    (await talk.participants.email("c 1", "alice")).emailAddress,
    a1,
  );
  const addresses = new Set([
    a1,
    (await talk.participants.email("c 1", "u/2")).emailAddress,
    (await talk.participants.email("c2", "alice")).emailAddress,
  ]);
  assert.equal(addresses.size, 3, "one address per conversation and user");
  // Another app, same IDs: another address.
  const other = createEmulator({ appId: "tOther", rateLimit: false });
  const otherTalk = createClient({
    appId: other.appId,
    secretKey: other.secretKey,
    baseUrl: other.baseUrl,
    fetch: other.fetch,
  });
  await otherTalk.conversations.put("c 1", { participants: ["alice"] });
  assert.notEqual(
    (await otherTalk.participants.email("c 1", "alice")).emailAddress,
    a1,
  );

  await assert.rejects(
    talk.participants.email("c2", "u/2"),
    (e) =>
      e instanceof TalkJsApiError && e.status === 404 &&
      e.reasons?.userId === '"u/2" is not a participant',
  );
  await assert.rejects(
    talk.participants.email("nowhere", "alice"),
    (e) =>
      e instanceof TalkJsApiError && e.status === 404 &&
      "conversationId" in (e.reasons ?? {}),
  );
  // A participant who lost read access is still one.
  await talk.participants.patch("c2", "alice", { access: "None" });
  assert.ok((await talk.participants.email("c2", "alice")).emailAddress);
  assert.equal(
    emu.stats
      .byRoute["GET /conversations/:conversationId/participants/:userId/email"],
    7,
  );
});
