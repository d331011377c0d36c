/**
 * The client against the emulator, end to end: every resource, in-process
 * (`emu.fetch`) and over a loopback `Deno.serve` with the real `fetch`.
 */
import assert from "node:assert/strict";
import {
  createClient,
  createLimiter,
  listAll,
  TalkJsApiError,
  type TalkJsClient,
} from "../mod.ts";
import { createEmulator, type Emulator } from "../testing.ts";

async function scenario(talk: TalkJsClient, emu: Emulator): Promise<void> {
  // Users
  await talk.users.put("alice", { name: "Alice", custom: { plan: "pro" } });
  await talk.users.put("alice", { role: "admin" });
  const alice = await talk.users.get("alice");
  assert.equal(alice.name, "Alice");
  assert.equal(alice.role, "admin");
  assert.deepEqual(alice.custom, { plan: "pro" });
  const many = Object.fromEntries(
    Array.from({ length: 230 }, (_, i) => [`u/${i}`, { name: `User ${i}` }]),
  );
  await talk.users.putMany(many);
  const ids = [];
  for await (const user of listAll(talk.users.list)) ids.push(user.id);
  assert.equal(ids.length, 231);
  assert.equal(new Set(ids).size, 231);
  assert.equal(ids.at(-1), "alice", "newest first");
  assert.equal((await talk.users.get("u/7")).name, "User 7");

  // Conversations and participants
  await talk.conversations.put("c 1", {
    participants: ["alice", "u/1"],
    subject: "Hello",
  });
  await talk.conversations.put("c 1", { participants: ["u/2"] });
  await talk.participants.put("c 1", "u/3", { access: "Read", notify: false });
  await talk.participants.patch("c 1", "u/2", { notify: "MentionsOnly" });
  await talk.participants.delete("c 1", "u/1");
  const conversation = await talk.conversations.get("c 1");
  assert.deepEqual(conversation.participants, {
    "alice": { access: "ReadWrite", notify: true, isUnread: false },
    "u/2": { access: "ReadWrite", notify: "MentionsOnly", isUnread: false },
    "u/3": { access: "Read", notify: false, isUnread: false },
  });
  await talk.conversations.put("c2", { participants: ["alice"] });
  const convs = await Array.fromAsync(listAll(talk.conversations.list));
  assert.deepEqual(convs.map((c) => c.id), ["c2", "c 1"]);
  const mine = await Array.fromAsync(
    listAll(talk.users.conversations, { userId: "alice" }),
  );
  assert.equal(mine.length, 2);

  // Messages
  const sent = await talk.messages.send(
    "c 1",
    Array.from({ length: 23 }, (_, i) => ({
      type: "UserMessage" as const,
      sender: i % 2 ? "alice" : "u/2",
      text: `m${i}`,
    })),
  );
  assert.equal(sent.requests, 3);
  await talk.messages.send("c 1", { type: "SystemMessage", text: "system" });
  await talk.messages.import("c2", [
    { type: "UserMessage", sender: "alice", text: "old", timestamp: 1_000 },
  ]);
  const messages = await Array.fromAsync(
    listAll(talk.messages.list, { conversationId: "c 1" }),
  );
  assert.equal(messages.length, 24);
  assert.equal(messages[0]!.text, "system");
  assert.equal(messages.at(-1)!.text, "m0");
  assert.deepEqual(
    sent.ids,
    messages.slice(1).reverse().map((m) => m.id),
    "send() answers each message's ID, in order, across chunks",
  );
  const first = messages.at(-1)!;
  await talk.messages.edit("c 1", first.id, { text: "edited" });
  const edited = await talk.messages.get("c 1", first.id);
  assert.equal(edited.text, "edited");
  assert.notEqual(edited.editedAt, null);
  await talk.messages.delete("c 1", first.id);
  await assert.rejects(talk.messages.get("c 1", first.id), { status: 404 });
  const imported = await talk.messages.list({ conversationId: "c2" });
  assert.equal(imported.data[0]!.createdAt, 1_000);
  assert.equal(imported.data[0]!.origin, "import");

  // A resent key stores nothing new, and answers the ID stored then.
  const key = sent.idempotencyKeys[1]!;
  const resent = await talk.messages.send("c 1", {
    type: "UserMessage",
    sender: "alice",
    text: "m1",
    idempotencyKey: key,
  });
  assert.equal(emu.store.messages("c 1").length, 23);
  assert.deepEqual(resent.ids, [sent.ids[1]]);

  // Participant email, presences, files
  const { emailAddress } = await talk.participants.email("c 1", "u/2");
  assert.match(emailAddress, /@reply\.talkjs\.invalid$/);
  await assert.rejects(talk.participants.email("c 1", "u/1"), { status: 404 });
  assert.deepEqual(await talk.users.presences(), { data: {} });
  emu.presence.set("alice", { widgets: [{ selectedConversationId: "c 1" }] });
  const online = await talk.users.presences({ selectedConversationId: "c 1" });
  assert.deepEqual(Object.keys(online.data), ["alice"]);
  const { attachmentToken } = await talk.files.upload(
    new Uint8Array([1, 2, 3]),
    { filename: "three.bin" },
  );
  const [fileId] = (await talk.messages.send("c 1", {
    type: "UserMessage",
    sender: "alice",
    attachmentToken,
  })).ids;
  const withFile = await talk.messages.get("c 1", fileId!);
  assert.equal(withFile.attachment?.size, 3);
  assert.ok(withFile.attachment?.url.endsWith(`/files/${attachmentToken}`));
  await talk.messages.delete("c 1", fileId!);

  // Notifications and batch
  await talk.conversations.notify("c 1", {
    channels: ["email"],
    recipients: ["alice"],
  });
  assert.equal(emu.store.notifications().length, 1);
  const results = await talk.batch([
    [1, "GET", "/users/alice"],
    [2, "PUT", "/users/bob", { name: "Bob" }],
    [3, "GET", "/users/nobody"],
  ]);
  const bySeq = new Map(results.map((r) => [r[0], r]));
  assert.equal(bySeq.get(1)![1], 200);
  assert.equal(bySeq.get(2)![1], 200);
  assert.equal(bySeq.get(3)![1], 404);
  assert.equal((await talk.users.get("bob")).name, "Bob");

  // Errors
  await assert.rejects(
    talk.messages.send("c2", {
      type: "UserMessage",
      sender: "u/9",
      text: "not a participant",
    }),
    (e) => e instanceof TalkJsApiError && e.status === 400,
  );
  await talk.conversations.delete("c 1");
  await assert.rejects(talk.conversations.get("c 1"), { status: 404 });
  assert.equal(emu.store.messages("c 1").length, 0);
}

Deno.test("createClient() runs every resource against the emulator in-process", async () => {
  const emu = createEmulator();
  const talk = createClient({
    appId: emu.appId,
    secretKey: emu.secretKey,
    baseUrl: emu.baseUrl,
    fetch: emu.fetch,
  });
  await scenario(talk, emu);
});

Deno.test("createClient() runs every resource against the emulator over loopback HTTP", async () => {
  const emu = createEmulator();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    emu.app.fetch,
  );
  try {
    const talk = createClient({
      appId: emu.appId,
      secretKey: emu.secretKey,
      baseUrl: `http://127.0.0.1:${server.addr.port}`,
      auth: "secret-key",
    });
    await scenario(talk, emu);
  } finally {
    await server.shutdown();
  }
});

Deno.test("createClient() paced by its limiter meets no 429 from an emulator with TalkJS-shaped limits", async () => {
  // TalkJS answers `burst` at once and queues more. The limiter books slots;
  // the server counts arrivals, which come a little after their slots (50
  // concurrent calls share one event loop), so the limiter's burst leaves
  // part of the server's queue as slack, as the default 600 does against
  // TalkJS's 500 + 100.
  const emu = createEmulator({
    rateLimit: { burst: 10, queue: 5, perSecond: 50 },
  });
  const talk = createClient({
    appId: emu.appId,
    secretKey: emu.secretKey,
    baseUrl: emu.baseUrl,
    fetch: emu.fetch,
    retry: false,
    limiter: createLimiter({ burst: 12, perSecond: 50 }),
  });
  await Promise.all(
    Array.from(
      { length: 50 },
      (_, i) => talk.users.put(`u${i}`, { name: "x" }),
    ),
  );
  assert.equal(emu.stats.rateLimited, 0);
  assert.equal(emu.store.users().length, 50);
});
