/**
 * Files: `talk.files.upload()` on the wire (a multipart body, TalkJS's own
 * example's `file` and `filename` parts), the emulator's `POST /files` and
 * its attachment URLs, and messages sent or imported with an
 * `attachmentToken`, end to end.
 */
import assert from "node:assert/strict";
import { jwtVerify } from "jose";
import {
  createClient,
  TalkJsApiError,
  type TalkJsClient,
  TalkJsNetworkError,
} from "../mod.ts";
import { createEmulator, type Emulator } from "../testing.ts";
import {
  cutBody,
  json,
  type Recorded,
  startFakeServer,
} from "./_fake_server.ts";

const APP = "tApp";
const SECRET = "sk_test_0123456789abcdefSECRET";

function client(url: string, extra: { retry?: false } = {}): TalkJsClient {
  return createClient({
    appId: APP,
    secretKey: SECRET,
    baseUrl: url,
    limiter: false,
    retry: extra.retry ?? { minDelayMs: 1, maxDelayMs: 2 },
  });
}

/** The multipart body a fake server received, parsed back by the platform. */
function parts(r: Recorded): Promise<FormData> {
  return new Response(r.bytes, {
    headers: { "content-type": r.headers.get("content-type")! },
  }).formData();
}

const TOKEN = { attachmentToken: "att_1" };

Deno.test("files.upload() sends POST /files as multipart: the bytes as 'file', the name as 'filename', a signed token, no JSON Content-Type", async () => {
  await using server = startFakeServer();
  server.setDefault(() => json(TOKEN));
  const talk = client(server.url);
  const bytes = new Uint8Array([0, 1, 2, 0xff, 0xfe, 13, 10, 45, 45]);
  assert.deepEqual(
    await talk.files.upload(bytes, { filename: "café.gif" }),
    TOKEN,
  );
  const [r] = server.requests;
  assert.equal(r!.method, "POST");
  assert.equal(r!.path, `/v1/${APP}/files`);
  assert.match(
    r!.headers.get("content-type")!,
    /^multipart\/form-data; boundary=\S+$/,
  );
  assert.equal(r!.headers.get("accept"), "application/json");
  const token = r!.headers.get("authorization")!.slice("Bearer ".length);
  const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET), {
    issuer: APP,
  });
  assert.equal(payload.tokenType, "app");
  const form = await parts(r!);
  assert.deepEqual([...form.keys()], ["file", "filename"]);
  const file = form.get("file") as File;
  assert.ok(file instanceof File);
  assert.equal(file.name, "café.gif");
  assert.deepEqual(new Uint8Array(await file.arrayBuffer()), bytes);
  assert.equal(form.get("filename"), "café.gif");
});

Deno.test("files.upload() takes a Blob (keeping its type) and an ArrayBuffer", async () => {
  await using server = startFakeServer();
  server.setDefault(() => json(TOKEN));
  const talk = client(server.url);
  await talk.files.upload(new Blob(["GIF89a"], { type: "image/gif" }), {
    filename: "a.gif",
  });
  await talk.files.upload(new Uint8Array([7, 8]).buffer, { filename: "b" });
  const [blob, buffer] = await Promise.all(server.requests.map(parts));
  const a = blob!.get("file") as File;
  assert.equal(a.type, "image/gif");
  assert.equal(await a.text(), "GIF89a");
  const b = buffer!.get("file") as File;
  assert.deepEqual(
    new Uint8Array(await b.arrayBuffer()),
    new Uint8Array([7, 8]),
  );
  assert.equal(buffer!.get("filename"), "b");
});

Deno.test("files.upload() retries a 503 with the whole form again, and never after a lost answer", async () => {
  await using server = startFakeServer();
  server.queue(() => json({}, 503));
  server.setDefault(() => json(TOKEN));
  const talk = client(server.url);
  assert.deepEqual(
    await talk.files.upload(new Uint8Array([1, 2, 3]), { filename: "f" }),
    TOKEN,
  );
  assert.equal(server.requests.length, 2);
  for (const r of server.requests) {
    const file = (await parts(r)).get("file") as File;
    assert.deepEqual(
      new Uint8Array(await file.arrayBuffer()),
      new Uint8Array([1, 2, 3]),
    );
  }
  server.requests.length = 0;
  server.setDefault(() => cutBody());
  await assert.rejects(
    talk.files.upload(new Uint8Array([1]), { filename: "f" }),
    TalkJsNetworkError,
  );
  assert.equal(
    server.requests.length,
    1,
    "a second upload would store a second file",
  );
});

Deno.test("files.upload() answered without an attachmentToken fails with a TalkJsApiError naming it", async () => {
  await using server = startFakeServer();
  for (const answer of [{}, { attachmentToken: "" }, { attachmentToken: 5 }]) {
    server.queue(() => json(answer));
    await assert.rejects(
      client(server.url).files.upload(new Uint8Array([1]), { filename: "f" }),
      (e) =>
        e instanceof TalkJsApiError && e.status === 200 &&
        /expected \{ attachmentToken: string \}/.test(String(e.body)),
    );
  }
});

// ---- the emulator ----

const auth = (emu: Emulator) => ({
  authorization: `Bearer ${emu.secretKey}`,
});

function upload(emu: Emulator, form: FormData): Promise<Response> {
  return emu.fetch(`${emu.baseUrl}/v1/${emu.appId}/files`, {
    method: "POST",
    headers: auth(emu),
    body: form,
  });
}

function form(
  fields: Record<string, string | Blob>,
): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
}

Deno.test("emulator POST /files stores the file and answers an attachmentToken; its URL serves the bytes without auth", async () => {
  const emu = createEmulator({ rateLimit: false });
  const bytes = new Uint8Array([71, 73, 70, 0, 255]);
  const res = await upload(
    emu,
    form({ file: new Blob([bytes], { type: "image/gif" }), filename: "Test" }),
  );
  assert.equal(res.status, 200);
  const { attachmentToken } = await res.json();
  assert.match(attachmentToken, /^att_[0-9a-f]{32}$/);
  const again = await (await upload(
    emu,
    form({ file: new Blob([bytes]), filename: "Test" }),
  )).json();
  assert.notEqual(
    again.attachmentToken,
    attachmentToken,
    "each upload its own token",
  );
  const file = await emu.fetch(`${emu.baseUrl}/files/${attachmentToken}`);
  assert.equal(file.status, 200);
  assert.equal(file.headers.get("content-type"), "image/gif");
  assert.deepEqual(new Uint8Array(await file.arrayBuffer()), bytes);
  const missing = await emu.fetch(`${emu.baseUrl}/files/att_nope`);
  assert.equal(missing.status, 404);
  assert.deepEqual((await missing.json()).reasons, {
    attachmentToken: "no file was uploaded with this token",
  });
  assert.equal(emu.stats.byRoute["POST /files"], 2);
  assert.equal(emu.stats.byRoute["GET /files/:attachmentToken"], 2);
});

Deno.test("emulator POST /files refuses a missing file or filename, a text file part, other fields and a JSON body, naming the field", async () => {
  const emu = createEmulator({ rateLimit: false });
  const blob = new Blob(["x"]);
  const cases: [FormData | string, string, RegExp][] = [
    [form({ filename: "a" }), "file", /^is required/],
    [
      form({ file: "not a file", filename: "a" }),
      "file",
      /must be a file part/,
    ],
    [
      form({ file: blob }),
      "filename",
      /is required.*strict where TalkJS's reference is silent/,
    ],
    [form({ file: blob, filename: "" }), "filename", /is required/],
    [
      form({ file: blob, filename: "a", extra: "1" }),
      "extra",
      /is not a known field/,
    ],
  ];
  for (const [body, field, reason] of cases) {
    const res = await upload(emu, body as FormData);
    assert.equal(res.status, 400, field);
    const { reasons } = await res.json();
    assert.deepEqual(Object.keys(reasons), [field]);
    assert.match(reasons[field], reason);
  }
  const asJson = await emu.fetch(`${emu.baseUrl}/v1/${emu.appId}/files`, {
    method: "POST",
    headers: { ...auth(emu), "content-type": "application/json" },
    body: JSON.stringify({ file: "x", filename: "a" }),
  });
  assert.equal(asJson.status, 400);
  assert.match(
    (await asJson.json()).reasons["content-type"],
    /multipart\/form-data/,
  );
  // A multipart body anywhere else is no JSON body.
  const elsewhere = await emu.fetch(`${emu.baseUrl}/v1/${emu.appId}/users/u1`, {
    method: "PUT",
    headers: auth(emu),
    body: form({ name: "A" }),
  });
  assert.equal(elsewhere.status, 400);
  assert.match(
    (await elsewhere.json()).reasons["content-type"],
    /application\/json/,
  );
  assert.equal(emu.store.users().length, 0);
  const unauthorized = await emu.fetch(`${emu.baseUrl}/v1/${emu.appId}/files`, {
    method: "POST",
    body: form({ file: blob, filename: "a" }),
  });
  assert.equal(unauthorized.status, 401);
});

Deno.test("emulator POST /files answers 413 past 25 MB, naming the size", async () => {
  const emu = createEmulator({ rateLimit: false });
  const limit = 25 * 1024 * 1024;
  const ok = await upload(
    emu,
    form({ file: new Blob([new Uint8Array(limit)]), filename: "max" }),
  );
  assert.equal(ok.status, 200);
  const big = await upload(
    emu,
    form({ file: new Blob([new Uint8Array(limit + 1)]), filename: "big" }),
  );
  assert.equal(big.status, 413);
  assert.match(
    (await big.json()).reasons.file,
    /at most 25 MB.*current size is 26214401 bytes/,
  );
});

Deno.test("emulator: a message sent or imported with an uploaded attachmentToken carries attachment { url, size }; an unknown token is a 400 naming [i].attachmentToken", async () => {
  const emu = createEmulator({ rateLimit: false });
  const call = (method: string, path: string, body: unknown) =>
    emu.fetch(`${emu.baseUrl}/v1/${emu.appId}${path}`, {
      method,
      headers: { ...auth(emu), "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  await call("PUT", "/users/alice", { name: "Alice" });
  await call("PUT", "/conversations/c1", { participants: ["alice"] });
  const { attachmentToken } = await (await upload(
    emu,
    form({ file: new Blob(["hello"]), filename: "hello.txt" }),
  )).json();
  // TalkJS's GIF example: no text.
  const sent = await call("POST", "/conversations/c1/messages", [
    { attachmentToken, sender: "alice", type: "UserMessage" },
    { type: "SystemMessage", attachmentToken, text: "a file" },
  ]);
  assert.equal(sent.status, 200);
  await call("POST", "/import/conversations/c1/messages", [{
    type: "UserMessage",
    sender: "alice",
    text: "old file",
    timestamp: 1,
    readBy: [],
    attachmentToken,
  }]);
  const [imported, user, system] = emu.store.messages("c1");
  const attachment = {
    url: `${emu.baseUrl}/files/${attachmentToken}`,
    size: 5,
  };
  assert.deepEqual(user!.attachment, attachment);
  assert.equal(user!.text, null);
  assert.deepEqual(system!.attachment, attachment);
  assert.equal(system!.text, "a file");
  assert.deepEqual(imported!.attachment, attachment);
  assert.equal(await (await emu.fetch(user!.attachment!.url)).text(), "hello");

  const bad = await call("POST", "/conversations/c1/messages", [
    { type: "UserMessage", sender: "alice", text: "ok" },
    { type: "UserMessage", sender: "alice", attachmentToken: "att_unknown" },
  ]);
  assert.equal(bad.status, 400);
  assert.deepEqual(Object.keys((await bad.json()).reasons), [
    "[1].attachmentToken",
  ]);
  const badImport = await call("POST", "/import/conversations/c1/messages", [{
    type: "UserMessage",
    sender: "alice",
    text: "t",
    timestamp: 1,
    readBy: [],
    attachmentToken: "att_unknown",
  }]);
  assert.deepEqual(Object.keys((await badImport.json()).reasons), [
    "[0].attachmentToken",
  ]);
  const neither = await call("POST", "/conversations/c1/messages", [
    { type: "UserMessage", sender: "alice" },
  ]);
  assert.deepEqual((await neither.json()).reasons, {
    "[0].text": "is required unless attachmentToken is given",
  });
  // An import needs its text (TalkJS: "All fields are required").
  const noText = await call("POST", "/import/conversations/c1/messages", [{
    type: "UserMessage",
    sender: "alice",
    timestamp: 1,
    readBy: [],
    attachmentToken,
  }]);
  assert.deepEqual((await noText.json()).reasons, {
    "[0].text": "is required",
  });
  assert.equal(
    emu.store.messages("c1").length,
    3,
    "nothing stored by a refused request",
  );
});

// ---- end to end ----

async function uploadAndSend(
  talk: TalkJsClient,
  origin: string,
  get: (url: string) => Promise<Response>,
) {
  await talk.users.put("alice", { name: "Alice" });
  await talk.conversations.put("c1", { participants: ["alice"] });
  const gif = new Blob([new Uint8Array([71, 73, 70, 56, 57, 97])], {
    type: "image/gif",
  });
  const { attachmentToken } = await talk.files.upload(gif, {
    filename: "Test",
  });
  const { ids } = await talk.messages.send("c1", {
    type: "UserMessage",
    sender: "alice",
    attachmentToken,
  });
  await talk.messages.import("c1", {
    type: "UserMessage",
    sender: "alice",
    text: "imported with a file",
    timestamp: 1,
    attachmentToken,
  });
  const message = await talk.messages.get("c1", ids[0]!);
  assert.equal(message.text, null);
  assert.deepEqual(message.attachment, {
    url: `${origin}/files/${attachmentToken}`,
    size: 6,
  });
  const res = await get(message.attachment!.url);
  assert.equal(res.headers.get("content-type"), "image/gif");
  assert.deepEqual(
    new Uint8Array(await res.arrayBuffer()),
    new Uint8Array([71, 73, 70, 56, 57, 97]),
  );
  await assert.rejects(
    talk.messages.send("c1", {
      type: "UserMessage",
      sender: "alice",
      attachmentToken: "att_x",
    }),
    (e) =>
      e instanceof TalkJsApiError && e.status === 400 &&
      "[0].attachmentToken" in (e.reasons ?? {}),
  );
}

Deno.test("files.upload(), then messages.send() and import() with its attachmentToken, against the emulator in-process", async () => {
  const emu = createEmulator();
  await uploadAndSend(
    createClient({
      appId: emu.appId,
      secretKey: emu.secretKey,
      baseUrl: emu.baseUrl,
      fetch: emu.fetch,
    }),
    emu.baseUrl,
    (url) => emu.fetch(url),
  );
});

Deno.test("files.upload() over loopback HTTP: the attachment URL is the server's own, and serves the file", async () => {
  const emu = createEmulator();
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    emu.app.fetch,
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  await uploadAndSend(
    createClient({
      appId: emu.appId,
      secretKey: emu.secretKey,
      baseUrl: origin,
    }),
    origin,
    (url) => fetch(url),
  );
});

Deno.test("emulator POST /files reads an endless upload no further than its cap, then answers 413", async () => {
  const emu = createEmulator({ rateLimit: false });
  const cap = 25 * 1024 * 1024 + 64 * 1024;
  const chunk = new Uint8Array(256 * 1024);
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += chunk.byteLength;
      controller.enqueue(chunk);
      if (pulled >= 4 * cap) controller.close();
    },
  }, { highWaterMark: 0 });
  const res = await emu.fetch(`${emu.baseUrl}/v1/${emu.appId}/files`, {
    method: "POST",
    headers: {
      ...auth(emu),
      "content-type": "multipart/form-data; boundary=x",
    },
    body: endless,
    duplex: "half",
  } as RequestInit);
  assert.equal(res.status, 413);
  await res.body?.cancel();
  assert.ok(pulled <= cap + 2 * chunk.byteLength, `${pulled} bytes read`);
});

Deno.test("emulator keeps at most 100 MB of uploads (413 past it, reset() frees them), and serves a file as a sandboxed download", async () => {
  const emu = createEmulator({ rateLimit: false });
  const mb20 = new Blob([new Uint8Array(20 * 1024 * 1024)]);
  const tokens: string[] = [];
  for (let i = 0; i < 5; i++) {
    const res = await upload(emu, form({ file: mb20, filename: `f${i}` }));
    assert.equal(res.status, 200);
    tokens.push((await res.json()).attachmentToken);
  }
  const over = await upload(emu, form({ file: mb20, filename: "f5" }));
  assert.equal(over.status, 413);
  assert.match((await over.json()).reasons.file, /past 100 MB/);
  const served = await emu.fetch(`${emu.baseUrl}/files/${tokens[0]}`);
  assert.equal(served.headers.get("x-content-type-options"), "nosniff");
  assert.equal(served.headers.get("content-security-policy"), "sandbox");
  assert.equal((await served.arrayBuffer()).byteLength, 20 * 1024 * 1024);
  emu.reset();
  const after = await upload(emu, form({ file: mb20, filename: "again" }));
  assert.equal(after.status, 200);
});
