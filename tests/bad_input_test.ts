// The bad input table: every public function with wrong types, empty strings,
// odd IDs, huge limits, NaN, negative timeouts and cyclic bodies, and the
// client against answers that are not what TalkJS sends. Each gives a clear
// TypeError/RangeError (before any request) or a TalkJsError, or, for IDs
// that are odd but legal, stores exactly that ID: never an unhandled
// rejection, never a wrong success.
import assert from "node:assert/strict";
import {
  createAppToken,
  createClient,
  createLimiter,
  createUserToken,
  listAll,
  type ListFn,
  memoryStore,
  paginate,
  signWebhook,
  TalkJsApiError,
  TalkJsError,
  TalkJsNetworkError,
  TalkJsWebhookError,
  verifyWebhook,
  withRetry,
} from "../mod.ts";
import { kvStore } from "../kv.ts";
import { redisStore } from "../redis.ts";
import { talkjs, talkjsUserToken, talkjsWebhook } from "../hono.ts";
import { createEmulator, createManualClock } from "../testing.ts";
import { APP, SECRET } from "./_fault_plan.ts";
import { emulatorTransport, withNoDelay } from "./_fault_transports.ts";
import { createSink, findLeaks, recordToken, type Sink } from "./_sink.ts";
import { CUT, json, type Responder, startFakeServer } from "./_fake_server.ts";

/** What the running test produced, for the grep that ends it (see test()). */
let sink: Sink = createSink();

/**
 * Deno.test for the table: a fresh sink, then the grep: no unhandled
 * rejection while the test ran, and no secret key or token in any error it
 * produced. Each test stands alone, so any one of them runs under --filter.
 */
function test(name: string, fn: () => void | Promise<void>): void {
  Deno.test(name, async () => {
    sink = createSink();
    const unhandled: unknown[] = [];
    const onUnhandled = (event: PromiseRejectionEvent) => {
      unhandled.push(event.reason);
      event.preventDefault();
    };
    globalThis.addEventListener("unhandledrejection", onUnhandled);
    try {
      await fn();
      // Unhandled rejections are reported once the microtasks have run.
      await new Promise((resolve) => setTimeout(resolve, 0));
    } finally {
      globalThis.removeEventListener("unhandledrejection", onUnhandled);
    }
    assert.deepEqual(unhandled, [], "no unhandled rejection");
    assert.deepEqual(findLeaks(sink, [SECRET]), []);
  });
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** A row: what to call, which error it must give, and what the message must name. */
type Row = [
  name: string,
  call: () => unknown,
  expected: ErrorClass,
  names?: RegExp,
];

/** Calls, awaits, and drains async generators: the error wherever it comes out. */
async function outcome(
  call: () => unknown,
): Promise<{ value?: unknown; error?: unknown }> {
  try {
    let value = call();
    if (value && typeof (value as Promise<unknown>).then === "function") {
      value = await value;
    }
    if (
      value &&
      typeof (value as AsyncGenerator)[Symbol.asyncIterator] === "function"
    ) {
      value = await Array.fromAsync(value as AsyncGenerator);
    }
    return { value };
  } catch (error) {
    return { error };
  }
}

/** Runs every row; fails once, listing every row that misbehaved. */
async function check(rows: Row[], sent?: () => number): Promise<void> {
  const wrong: string[] = [];
  for (const [name, call, expected, names] of rows) {
    const before = sent?.() ?? 0;
    const { value, error } = await outcome(call);
    if (error !== undefined) sink.errors.push(error);
    if (error === undefined) {
      wrong.push(`${name}: succeeded with ${Deno.inspect(value).slice(0, 80)}`);
    } else if (!(error instanceof expected)) {
      wrong.push(
        `${name}: ${
          Deno.inspect(error).split("\n")[0]
        } instead of ${expected.name}`,
      );
    } else if (names && !names.test((error as Error).message)) {
      wrong.push(
        `${name}: message does not name ${names}: ${(error as Error).message}`,
      );
    } else if (
      (expected === TypeError || expected === RangeError) &&
      (sent?.() ?? 0) !== before
    ) {
      wrong.push(`${name}: sent a request before refusing`);
    }
  }
  assert.deepEqual(
    wrong,
    [],
    `${wrong.length} of ${rows.length} rows misbehaved`,
  );
}

/** A client on the emulator, counting what it sends. */
function emulated() {
  const emu = createEmulator({
    appId: APP,
    secretKey: SECRET,
    rateLimit: false,
  });
  const transport = emulatorTransport(emu, () => [], sink);
  const talk = createClient({
    appId: APP,
    secretKey: SECRET,
    baseUrl: emu.baseUrl,
    fetch: transport.fetch,
    retry: { minDelayMs: 1, maxDelayMs: 2 },
  });
  return { emu, talk, sent: () => transport.tally.requests };
}

/** Enough of a Deno.Kv for kvStore() to be made: its option checks come first. */
const fakeKv = {
  get: () => Promise.reject(new Error("not used")),
  atomic: () => {
    throw new Error("not used");
  },
} as never;

/** A Redis client for redisStore() whose every call would fail the test: checks come first. */
const fakeRedis = {
  eval: () => Promise.reject(new Error("Redis was called")),
};

const cyclic: Record<string, unknown> = { name: "loop" };
cyclic.self = cyclic;
const huge = [1e9, Number.MAX_SAFE_INTEGER, Infinity];
const notInts = [0, -1, NaN, 2.5, ...huge];
const notStrings: unknown[] = [undefined, null, 5, {}, [], true, Symbol("id")];

// ---------------------------------------------------------------- createClient

test("createClient() refuses wrong types, empty strings, NaN and negative timeouts", async () => {
  const ok = { appId: APP, secretKey: SECRET };
  const make = (extra: Record<string, unknown>) => () =>
    createClient({ ...ok, ...extra } as never);
  await check([
    [
      "createClient(undefined)",
      () => createClient(undefined as never),
      TypeError,
      /'options'/,
    ],
    [
      "createClient('x')",
      () => createClient("x" as never),
      TypeError,
      /'options'/,
    ],
    ...notStrings.map((
      v,
    ): Row => [`appId ${String(v)}`, make({ appId: v }), TypeError, /'appId'/]),
    ["appId ''", make({ appId: "" }), TypeError, /'appId'/],
    ...notStrings.map((
      v,
    ): Row => [
      `secretKey ${String(v)}`,
      make({ secretKey: v }),
      TypeError,
      /'secretKey'/,
    ]),
    ["secretKey ''", make({ secretKey: "" }), TypeError, /'secretKey'/],
    ["baseUrl ''", make({ baseUrl: "" }), TypeError, /'baseUrl'/],
    [
      "baseUrl 'not a url'",
      make({ baseUrl: "not a url" }),
      TypeError,
      /'baseUrl'/,
    ],
    ["baseUrl 'ftp://x'", make({ baseUrl: "ftp://x" }), TypeError, /'baseUrl'/],
    [
      "baseUrl with credentials",
      make({ baseUrl: "https://u:p@x" }),
      TypeError,
      /'baseUrl'/,
    ],
    ["baseUrl 5", make({ baseUrl: 5 }), TypeError, /'baseUrl'/],
    ["auth 'basic'", make({ auth: "basic" }), TypeError, /'auth'/],
    ...[0, -1, NaN, -Infinity, Infinity, "30"].map((v): Row => [
      `tokenTtlSeconds ${String(v)}`,
      make({ tokenTtlSeconds: v }),
      RangeError,
      /'tokenTtlSeconds'/,
    ]),
    ["fetch 'x'", make({ fetch: "x" }), TypeError, /'fetch'/],
    ...[0, -1, -0.5, NaN, -Infinity, "100"].map((v): Row => [
      `timeoutMs ${String(v)}`,
      make({ timeoutMs: v }),
      RangeError,
      /'timeoutMs'/,
    ]),
    ["retry 'x'", make({ retry: "x" }), TypeError, /'retry'/],
    ["retry null", make({ retry: null }), TypeError, /'retry'/],
    ["limiter 'x'", make({ limiter: "x" }), TypeError, /'limiter'/],
    ["limiter {}", make({ limiter: {} }), TypeError, /'limiter'/],
    ["clock {}", make({ clock: {} }), TypeError, /'clock'/],
    ["apiVersion 'v2'", make({ apiVersion: "v2" }), TypeError, /'apiVersion'/],
    [
      "apiVersion 20210209",
      make({ apiVersion: 20210209 }),
      TypeError,
      /'apiVersion'/,
    ],
  ]);
});

test("createClient() checks its retry options once, when the client is created", async () => {
  const { emu } = emulated();
  let sent = 0;
  const base = {
    appId: APP,
    secretKey: SECRET,
    baseUrl: emu.baseUrl,
    fetch: ((input: RequestInfo | URL, init?: RequestInit) => {
      sent++;
      return emu.fetch(input, init);
    }) as typeof fetch,
  };
  // Thrown by createClient itself: never on each request, as withRetry() did.
  const withRetryOptions = (retry: Record<string, unknown>) => () =>
    createClient({ ...base, retry: retry as never });
  await check([
    [
      "retries -1",
      withRetryOptions({ retries: -1 }),
      RangeError,
      /'retry\.retries'/,
    ],
    [
      "retries NaN",
      withRetryOptions({ retries: NaN }),
      RangeError,
      /'retry\.retries'/,
    ],
    [
      "retries '3'",
      withRetryOptions({ retries: "3" }),
      TypeError,
      /'retry\.retries'/,
    ],
    [
      "minDelayMs -5",
      withRetryOptions({ minDelayMs: -5 }),
      RangeError,
      /'retry\.minDelayMs'/,
    ],
    [
      "maxDelayMs Infinity",
      withRetryOptions({ maxDelayMs: Infinity }),
      RangeError,
      /'retry\.maxDelayMs'/,
    ],
    [
      "factor 0.5",
      withRetryOptions({ factor: 0.5 }),
      RangeError,
      /'retry\.factor'/,
    ],
    [
      "jitter 'some'",
      withRetryOptions({ jitter: "some" }),
      RangeError,
      /'retry\.jitter'/,
    ],
    [
      "signal (a call's retries stop with the call's own signal)",
      withRetryOptions({ signal: new AbortController().signal }),
      TypeError,
      /'retry\.signal' must be undefined \(each call takes a signal of its own\)/,
    ],
    [
      "onRetry 5",
      withRetryOptions({ onRetry: 5 }),
      TypeError,
      /'retry\.onRetry'/,
    ],
  ], () => sent);
});

// ---------------------------------------------------------------- request()

test("request() refuses bad methods, segments, queries, bodies and signals before sending", async () => {
  const { talk, sent } = emulated();
  await check([
    [
      "method 'get'",
      () => talk.request("get" as never, ["users"]),
      TypeError,
      /'method'/,
    ],
    [
      "method 'HEAD'",
      () => talk.request("HEAD" as never, ["users"]),
      TypeError,
      /'method'/,
    ],
    [
      "method 5",
      () => talk.request(5 as never, ["users"]),
      TypeError,
      /'method'/,
    ],
    [
      "segments 'users'",
      () => talk.request("GET", "users" as never),
      TypeError,
      /'segments'/,
    ],
    [
      "segments null",
      () => talk.request("GET", null as never),
      TypeError,
      /'segments'/,
    ],
    [
      "segments [5]",
      () => talk.request("GET", [5] as never),
      TypeError,
      /'segments\[0\]'/,
    ],
    [
      "segments ['']",
      () => talk.request("GET", [""]),
      TypeError,
      /'segments\[0\]'/,
    ],
    [
      "segments ['users', '.']",
      () => talk.request("GET", ["users", "."]),
      TypeError,
      /'segments\[1\]'/,
    ],
    [
      "segments ['users', '..']",
      () => talk.request("GET", ["users", ".."]),
      TypeError,
      /'segments\[1\]'/,
    ],
    [
      "init null",
      () => talk.request("GET", ["users"], null as never),
      TypeError,
      /'init'/,
    ],
    [
      "query 'a=1'",
      () => talk.request("GET", ["users"], { query: "a=1" as never }),
      TypeError,
      /'query'/,
    ],
    [
      "query {a: {}}",
      () => talk.request("GET", ["users"], { query: { a: {} as never } }),
      TypeError,
      /'query\.a'/,
    ],
    [
      "GET with a body",
      () => talk.request("GET", ["users"], { body: {} }),
      TypeError,
      /'body'/,
    ],
    [
      "cyclic body",
      () => talk.request("PUT", ["users", "u"], { body: cyclic }),
      TypeError,
      /'body'/,
    ],
    [
      "BigInt body",
      () => talk.request("PUT", ["users", "u"], { body: { n: 1n } }),
      TypeError,
      /'body'/,
    ],
    [
      "function body",
      () => talk.request("PUT", ["users", "u"], { body: () => 1 }),
      TypeError,
      /'body'/,
    ],
    [
      "signal 'x'",
      () => talk.request("GET", ["users"], { signal: "x" as never }),
      TypeError,
      /'signal'/,
    ],
  ], sent);
});

// ---------------------------------------------------------------- resources

test("users.* refuse wrong types, empty IDs, . and .., bad limits before sending", async () => {
  const { talk, sent } = emulated();
  await check([
    ...notStrings.map((
      v,
    ): Row => [
      `get(${String(v)})`,
      () => talk.users.get(v as never),
      TypeError,
      /'userId'/,
    ]),
    ["get('')", () => talk.users.get(""), TypeError, /'userId'/],
    [
      "get('.')",
      () => talk.users.get("."),
      TypeError,
      /must not be "\." or "\.\."/,
    ],
    [
      "get('..')",
      () => talk.users.get(".."),
      TypeError,
      /must not be "\." or "\.\."/,
    ],
    [
      "put('', …)",
      () => talk.users.put("", { name: "x" }),
      TypeError,
      /'userId'/,
    ],
    [
      "put(id, null)",
      () => talk.users.put("u", null as never),
      TypeError,
      /'input'/,
    ],
    [
      "put(id, 'x')",
      () => talk.users.put("u", "x" as never),
      TypeError,
      /'input'/,
    ],
    [
      "put(id, [])",
      () => talk.users.put("u", [] as never),
      TypeError,
      /'input'/,
    ],
    [
      "put(id, cyclic)",
      () => talk.users.put("u", cyclic as never),
      TypeError,
      /'body'/,
    ],
    [
      "put(id, {custom: 1n})",
      () => talk.users.put("u", { custom: { n: 1n } } as never),
      TypeError,
      /'body'/,
    ],
    [
      "putMany(null)",
      () => talk.users.putMany(null as never),
      TypeError,
      /'usersById'/,
    ],
    [
      "putMany([])",
      () => talk.users.putMany([] as never),
      TypeError,
      /'usersById'/,
    ],
    [
      "putMany(a Map), which would send nothing",
      () => talk.users.putMany(new Map([["a", { name: "A" }]]) as never),
      TypeError,
      /'usersById' must be an object: current value is a Map/,
    ],
    [
      "put(id, a Map), which would send {}",
      () => talk.users.put("u", new Map([["name", "A"]]) as never),
      TypeError,
      /'input' must be an object: current value is a Map/,
    ],
    [
      "putMany({'': …})",
      () => talk.users.putMany({ "": { name: "x" } }),
      TypeError,
      /user ID is empty/,
    ],
    [
      "putMany({a: null})",
      () => talk.users.putMany({ a: null as never }),
      TypeError,
      /'usersById\["a"\]'/,
    ],
    [
      "putMany(cyclic entry)",
      () => talk.users.putMany({ a: cyclic as never }),
      TypeError,
      /'body'/,
    ],
    ...notInts.map((
      v,
    ): Row => [
      `list({limit: ${v}})`,
      () => talk.users.list({ limit: v }),
      RangeError,
      /'limit'/,
    ]),
    [
      "list({limit: 101})",
      () => talk.users.list({ limit: 101 }),
      RangeError,
      /'limit'/,
    ],
    [
      "list({limit: '5'})",
      () => talk.users.list({ limit: "5" as never }),
      TypeError,
      /'limit'/,
    ],
    [
      "list({startingAfter: ''})",
      () => talk.users.list({ startingAfter: "" }),
      TypeError,
      /'startingAfter'/,
    ],
    [
      "list({startingAfter: 5})",
      () => talk.users.list({ startingAfter: 5 as never }),
      TypeError,
      /'startingAfter'/,
    ],
    ["list('x')", () => talk.users.list("x" as never), TypeError, /'params'/],
    [
      "conversations({})",
      () => talk.users.conversations({} as never),
      TypeError,
      /'userId'/,
    ],
    [
      "conversations({userId: ''})",
      () => talk.users.conversations({ userId: "" }),
      TypeError,
      /'userId'/,
    ],
    [
      "conversations({limit: 101})",
      () => talk.users.conversations({ userId: "u", limit: 101 }),
      RangeError,
      /'limit'/,
    ],
  ], sent);
});

test("conversations.* and participants.* refuse wrong types and empty IDs before sending", async () => {
  const { talk, sent } = emulated();
  await check([
    [
      "get('')",
      () => talk.conversations.get(""),
      TypeError,
      /'conversationId'/,
    ],
    [
      "get(5)",
      () => talk.conversations.get(5 as never),
      TypeError,
      /'conversationId'/,
    ],
    [
      "put(id, null)",
      () => talk.conversations.put("c", null as never),
      TypeError,
      /'input'/,
    ],
    [
      "put(id, {participants: 'u'})",
      () => talk.conversations.put("c", { participants: "u" as never }),
      TypeError,
      /'input\.participants'/,
    ],
    [
      "put(id, {participants: ['']})",
      () => talk.conversations.put("c", { participants: [""] }),
      TypeError,
      /'input\.participants\[0\]'/,
    ],
    [
      "put(id, {participants: [5]})",
      () => talk.conversations.put("c", { participants: [5 as never] }),
      TypeError,
      /'input\.participants\[0\]'/,
    ],
    [
      "put(id, cyclic)",
      () => talk.conversations.put("c", cyclic as never),
      TypeError,
      /'body'/,
    ],
    [
      "delete('..')",
      () => talk.conversations.delete(".."),
      TypeError,
      /"\.\."/,
    ],
    [
      "list({limit: 101})",
      () => talk.conversations.list({ limit: 101 }),
      RangeError,
      /'limit'/,
    ],
    [
      "list({limit: NaN})",
      () => talk.conversations.list({ limit: NaN }),
      RangeError,
      /'limit'/,
    ],
    [
      "list({limit: 1e9})",
      () => talk.conversations.list({ limit: 1e9 }),
      RangeError,
      /'limit'/,
    ],
    [
      "notify(id, null)",
      () => talk.conversations.notify("c", null as never),
      TypeError,
      /'input'/,
    ],
    [
      "notify(id, {channels: []})",
      () => talk.conversations.notify("c", { channels: [] }),
      TypeError,
      /'input\.channels'/,
    ],
    [
      "notify(id, {channels: ['fax']})",
      () => talk.conversations.notify("c", { channels: ["fax" as never] }),
      TypeError,
      /'input\.channels'/,
    ],
    [
      "participants.put('', u)",
      () => talk.participants.put("", "u"),
      TypeError,
      /'conversationId'/,
    ],
    [
      "participants.put(c, '')",
      () => talk.participants.put("c", ""),
      TypeError,
      /'userId'/,
    ],
    [
      "participants.put(c, u, 'x')",
      () => talk.participants.put("c", "u", "x" as never),
      TypeError,
      /'input'/,
    ],
    [
      "participants.patch(c, u, null)",
      () => talk.participants.patch("c", "u", null as never),
      TypeError,
      /'input'/,
    ],
    [
      "participants.delete(c, 5)",
      () => talk.participants.delete("c", 5 as never),
      TypeError,
      /'userId'/,
    ],
    [
      "participants.email('', u)",
      () => talk.participants.email("", "u"),
      TypeError,
      /'conversationId'/,
    ],
    [
      "participants.email(c, 5)",
      () => talk.participants.email("c", 5 as never),
      TypeError,
      /'userId'/,
    ],
    [
      "participants.email(c, '..')",
      () => talk.participants.email("c", ".."),
      TypeError,
      /"\.\."/,
    ],
  ], sent);
});

test("messages.* and batch() refuse wrong types, empty lists and bad timestamps before sending", async () => {
  const { talk, sent } = emulated();
  const user = { type: "UserMessage" as const, sender: "u", text: "t" };
  const old = { ...user, timestamp: 1 };
  await check([
    ["get(c, '')", () => talk.messages.get("c", ""), TypeError, /'messageId'/],
    [
      "get('', m)",
      () => talk.messages.get("", "m"),
      TypeError,
      /'conversationId'/,
    ],
    [
      "list({})",
      () => talk.messages.list({} as never),
      TypeError,
      /'conversationId'/,
    ],
    [
      "list({limit: 1000})",
      () => talk.messages.list({ conversationId: "c", limit: 1000 }),
      RangeError,
      /'limit'/,
    ],
    [
      "list({limit: -1})",
      () => talk.messages.list({ conversationId: "c", limit: -1 }),
      RangeError,
      /'limit'/,
    ],
    [
      "send(c, [])",
      () => talk.messages.send("c", []),
      RangeError,
      /'messages'/,
    ],
    [
      "send(c, null)",
      () => talk.messages.send("c", null as never),
      TypeError,
      /'messages\[0\]'/,
    ],
    [
      "send(c, {type: 'X'})",
      () => talk.messages.send("c", { type: "X" } as never),
      TypeError,
      /'messages\[0\]\.type'/,
    ],
    [
      "send(c, sender '')",
      () => talk.messages.send("c", { ...user, sender: "" }),
      TypeError,
      /'messages\[0\]\.sender'/,
    ],
    [
      "send(c, text 5)",
      () => talk.messages.send("c", { ...user, text: 5 as never }),
      TypeError,
      /'messages\[0\]\.text'/,
    ],
    [
      "send(c, idempotencyKey '')",
      () => talk.messages.send("c", { ...user, idempotencyKey: "" }),
      TypeError,
      /idempotencyKey/,
    ],
    [
      "send(c, cyclic custom)",
      () => talk.messages.send("c", { ...user, custom: cyclic as never }),
      TypeError,
      /'body'/,
    ],
    [
      "send('', m)",
      () => talk.messages.send("", user),
      TypeError,
      /'conversationId'/,
    ],
    [
      "import(c, [])",
      () => talk.messages.import("c", []),
      RangeError,
      /'messages'/,
    ],
    [
      "import(c, timestamp NaN)",
      () => talk.messages.import("c", { ...old, timestamp: NaN }),
      TypeError,
      /timestamp/,
    ],
    [
      "import(c, timestamp Infinity)",
      () => talk.messages.import("c", { ...old, timestamp: Infinity }),
      TypeError,
      /timestamp/,
    ],
    [
      "import(c, timestamp '1')",
      () => talk.messages.import("c", { ...old, timestamp: "1" as never }),
      TypeError,
      /timestamp/,
    ],
    [
      "import(c, SystemMessage)",
      () =>
        talk.messages.import(
          "c",
          { type: "SystemMessage", text: "t" } as never,
        ),
      TypeError,
      /type/,
    ],
    [
      "edit(c, m, null)",
      () => talk.messages.edit("c", "m", null as never),
      TypeError,
      /'input'/,
    ],
    [
      "delete(c, '..')",
      () => talk.messages.delete("c", ".."),
      TypeError,
      /"\.\."/,
    ],
    ["batch([])", () => talk.batch([]), TypeError, /'operations'/],
    ["batch('x')", () => talk.batch("x" as never), TypeError, /'operations'/],
    [
      "batch([[1, 'GET']])",
      () => talk.batch([[1, "GET"]] as never),
      TypeError,
      /'operations\[0\]'/,
    ],
    [
      "batch([[1, 'FETCH', '/x']])",
      () => talk.batch([[1, "FETCH", "/x"]] as never),
      TypeError,
      /'operations\[0\]\[1\]'/,
    ],
    [
      "batch([[1, 'GET', 'users']])",
      () => talk.batch([[1, "GET", "users"]] as never),
      TypeError,
      /'operations\[0\]\[2\]'/,
    ],
    [
      "batch(cyclic payload)",
      () => talk.batch([[1, "PUT", "/users/u", cyclic]] as never),
      TypeError,
      /'operations\[0\]\[3\]' is not JSON-serializable/,
    ],
    [
      "send(c, no text, no attachmentToken)",
      () => talk.messages.send("c", { type: "UserMessage", sender: "u" }),
      TypeError,
      /'messages\[0\]\.text' must be a string \(or give an attachmentToken\)/,
    ],
    [
      "send(c, SystemMessage without text)",
      () => talk.messages.send("c", { type: "SystemMessage" }),
      TypeError,
      /'messages\[0\]\.text'/,
    ],
    [
      "send(c, attachmentToken '')",
      () => talk.messages.send("c", { ...user, attachmentToken: "" }),
      TypeError,
      /'messages\[0\]\.attachmentToken'/,
    ],
    [
      "send(c, attachmentToken 5, no text)",
      () =>
        talk.messages.send("c", {
          type: "UserMessage",
          sender: "u",
          attachmentToken: 5 as never,
        }),
      TypeError,
      /'messages\[0\]\.attachmentToken'/,
    ],
    [
      "send(c, text 5 beside an attachmentToken)",
      () =>
        talk.messages.send("c", {
          ...user,
          text: 5 as never,
          attachmentToken: "t",
        }),
      TypeError,
      /'messages\[0\]\.text'/,
    ],
    [
      "import(c, attachmentToken without text)",
      () =>
        talk.messages.import("c", {
          type: "UserMessage",
          sender: "u",
          timestamp: 1,
          attachmentToken: "t",
        } as never),
      TypeError,
      /'messages\[0\]\.text' must be a string:/,
    ],
    [
      "import(c, attachmentToken '')",
      () => talk.messages.import("c", { ...old, attachmentToken: "" }),
      TypeError,
      /'messages\[0\]\.attachmentToken'/,
    ],
  ], sent);
});

test("users.presences() and files.upload() refuse wrong types, a missing filename and bad signals before sending", async () => {
  const { talk, sent } = emulated();
  const blob = new Blob(["x"]);
  await check([
    [
      "users.presences(null)",
      () => talk.users.presences(null as never),
      TypeError,
      /'input'/,
    ],
    [
      "users.presences([])",
      () => talk.users.presences([] as never),
      TypeError,
      /'input'/,
    ],
    [
      "users.presences({}, {signal: 'x'})",
      () => talk.users.presences({}, { signal: "x" } as never),
      TypeError,
      /'options\.signal'/,
    ],
    [
      "users.presences(cyclic)",
      () => talk.users.presences(cyclic as never),
      TypeError,
      /'body'/,
    ],
    ...([undefined, null, "bytes", 5, {}, [1, 2], new Uint16Array(2)] as const)
      .map((file): Row => [
        `files.upload(${Deno.inspect(file)})`,
        () => talk.files.upload(file as never, { filename: "a.txt" }),
        TypeError,
        /'file' must be a Blob, Uint8Array or ArrayBuffer/,
      ]),
    [
      "files.upload(blob)",
      () => talk.files.upload(blob, undefined as never),
      TypeError,
      /'options\.filename' must be a non-empty string/,
    ],
    [
      "files.upload(blob, {})",
      () => talk.files.upload(blob, {} as never),
      TypeError,
      /'options\.filename'/,
    ],
    [
      "files.upload(blob, {filename: ''})",
      () => talk.files.upload(blob, { filename: "" }),
      TypeError,
      /'options\.filename'/,
    ],
    [
      "files.upload(blob, {filename: 5})",
      () => talk.files.upload(blob, { filename: 5 as never }),
      TypeError,
      /'options\.filename'/,
    ],
    [
      "files.upload(blob, 'a.txt')",
      () => talk.files.upload(blob, "a.txt" as never),
      TypeError,
      /'options'/,
    ],
    [
      "files.upload(blob, {filename, signal: 'x'})",
      () => talk.files.upload(blob, { filename: "a", signal: "x" as never }),
      TypeError,
      /'options\.signal'/,
    ],
  ], sent);
});

test("options and signals of every sending call are checked before anything is sent", async () => {
  const { talk, sent } = emulated();
  const msg = { type: "UserMessage" as const, sender: "u", text: "t" };
  const bad = { signal: "x" } as never;
  await check([
    [
      "users.get(id, null)",
      () => talk.users.get("a", null as never),
      TypeError,
      /'options'/,
    ],
    [
      "users.get(id, 5)",
      () => talk.users.get("a", 5 as never),
      TypeError,
      /'options'/,
    ],
    [
      "users.get(id, {signal: 'x'})",
      () => talk.users.get("a", bad),
      TypeError,
      /'options\.signal'/,
    ],
    [
      "users.put(id, input, {signal: 'x'})",
      () => talk.users.put("a", {}, bad),
      TypeError,
      /'options\.signal'/,
    ],
    [
      "users.list({signal: 'x'})",
      () => talk.users.list(bad),
      TypeError,
      /'signal'/,
    ],
    [
      "users.putMany(u, {signal: 'x'})",
      () => talk.users.putMany({ a: {} }, bad),
      TypeError,
      /'options\.signal'/,
    ],
    [
      "users.putMany(u, null)",
      () => talk.users.putMany({ a: {} }, null as never),
      TypeError,
      /'options'/,
    ],
    [
      "users.putMany(u, {onProgress: 5})",
      () => talk.users.putMany({ a: {}, b: {} }, { onProgress: 5 as never }),
      TypeError,
      /'options\.onProgress'/,
    ],
    [
      "messages.send(c, m, {signal: 'x'})",
      () => talk.messages.send("c", msg, bad),
      TypeError,
      /'options\.signal'/,
    ],
    [
      "messages.send(c, m, null)",
      () => talk.messages.send("c", msg, null as never),
      TypeError,
      /'options'/,
    ],
    [
      "messages.import(c, m, {signal: 'x'})",
      () => talk.messages.import("c", { ...msg, timestamp: 1 }, bad),
      TypeError,
      /'options\.signal'/,
    ],
    [
      "batch(ops, {signal: 'x'})",
      () => talk.batch([[1, "GET", "/users/a"]], bad),
      TypeError,
      /'options\.signal'/,
    ],
    [
      "batch(ops, 5)",
      () => talk.batch([[1, "GET", "/users/a"]], 5 as never),
      TypeError,
      /'options'/,
    ],
    [
      "paginate(list, {signal: 'x'}) at the call",
      () => {
        paginate(talk.users.list, bad);
      },
      TypeError,
      /'signal'/,
    ],
    [
      "withRetry(fn, {signal: 'x'})",
      () => withRetry(() => Promise.resolve(1), bad),
      TypeError,
      /'signal'/,
    ],
    [
      "limiter.acquire('x')",
      () => createLimiter().acquire("x" as never),
      TypeError,
      /'signal'/,
    ],
    [
      "limiter.schedule(fn, 'x')",
      () => createLimiter().schedule(() => Promise.resolve(1), "x" as never),
      TypeError,
      /'signal'/,
    ],
    [
      "messages.send(c, m, {onProgress: 5})",
      () => talk.messages.send("c", msg, { onProgress: 5 as never }),
      TypeError,
      /'options\.onProgress'/,
    ],
    [
      "messages.import(c, m, {onProgress: 'x'})",
      () =>
        talk.messages.import("c", { ...msg, timestamp: 1 }, {
          onProgress: "x" as never,
        }),
      TypeError,
      /'options\.onProgress'/,
    ],
    [
      "messages.send with one idempotencyKey twice",
      () =>
        talk.messages.send("c", [
          { ...msg, idempotencyKey: "k1" },
          { ...msg, idempotencyKey: "k2" },
          { ...msg, idempotencyKey: "k1" },
        ]),
      RangeError,
      /'messages\[2\]\.idempotencyKey' must be unique in one call \(messages\[0\] has the same key\)/,
    ],
    [
      "withRetry(fn, {maxRetryAfterMs: -1})",
      () => withRetry(() => Promise.resolve(1), { maxRetryAfterMs: -1 }),
      RangeError,
      /'maxRetryAfterMs'/,
    ],
  ], sent);
  assert.equal(sent(), 0);
});

// ---------------------------------------------------------------- odd but legal IDs

const oddIds = [
  "a/b",
  "../users",
  "..%2F..",
  "a..b",
  "...",
  "%",
  "%2F",
  "%2e%2e",
  "100%",
  "?q=1#frag",
  "+plus&amp",
  " spaced ",
  "ünïcödé-名前-😀",
  "\u202eRTL",
  "tab\there",
  "line\nbreak",
  "nul\u0000byte",
  "bell\u0007",
];

test("a lone surrogate in any ID, path segment or query value is a TypeError naming it, before any request", async () => {
  const { talk, sent } = emulated();
  const lone = "\ud800";
  const tail = `ok${"\udc00"}`; // a low surrogate alone, not at the start
  const names = (name: string) =>
    new RegExp(`'${name.replace(/[.[\]]/g, "\\$&")}' must be well-formed`);
  await check([
    ["users.get", () => talk.users.get(lone), TypeError, names("userId")],
    [
      "users.put",
      () => talk.users.put(tail, { name: "A" }),
      TypeError,
      names("userId"),
    ],
    [
      "users.list startingAfter",
      () => talk.users.list({ startingAfter: lone }),
      TypeError,
      names("startingAfter"),
    ],
    [
      "users.conversations",
      () => talk.users.conversations({ userId: lone }),
      TypeError,
      names("userId"),
    ],
    [
      "conversations.get",
      () => talk.conversations.get(lone),
      TypeError,
      names("conversationId"),
    ],
    [
      "conversations.put",
      () => talk.conversations.put(tail, {}),
      TypeError,
      names("conversationId"),
    ],
    [
      "conversations.delete",
      () => talk.conversations.delete(lone),
      TypeError,
      names("conversationId"),
    ],
    [
      "conversations.list orderBy",
      () => talk.conversations.list({ orderBy: lone as never }),
      TypeError,
      names("query.orderBy"),
    ],
    [
      "participants.put",
      () => talk.participants.put("c1", lone),
      TypeError,
      names("userId"),
    ],
    [
      "participants.patch",
      () => talk.participants.patch(lone, "u1", { access: "Read" }),
      TypeError,
      names("conversationId"),
    ],
    [
      "participants.delete",
      () => talk.participants.delete("c1", tail),
      TypeError,
      names("userId"),
    ],
    [
      "messages.get",
      () => talk.messages.get("c1", lone),
      TypeError,
      names("messageId"),
    ],
    [
      "messages.list",
      () => talk.messages.list({ conversationId: lone }),
      TypeError,
      names("conversationId"),
    ],
    [
      "messages.edit",
      () => talk.messages.edit(lone, "m1", { text: "t" }),
      TypeError,
      names("conversationId"),
    ],
    [
      "messages.delete",
      () => talk.messages.delete("c1", lone),
      TypeError,
      names("messageId"),
    ],
    [
      "request segment",
      () => talk.request("GET", ["users", lone]),
      TypeError,
      names("segments[1]"),
    ],
    [
      "request query value",
      () => talk.request("GET", ["users"], { query: { startingAfter: tail } }),
      TypeError,
      names("query.startingAfter"),
    ],
  ], sent);
  assert.equal(sent(), 0);
  // A surrogate pair is a character like any other: sent, encoded.
  await talk.users.put("\u{1F600}", { name: "A" });
  assert.equal((await talk.users.get("\u{1F600}")).name, "A");
});

test("createClient() checks appId as a path segment: . and .. are refused, / is encoded", async () => {
  const urls: string[] = [];
  const make = (appId: string) =>
    createClient({
      appId,
      secretKey: SECRET,
      limiter: false,
      retry: false,
      fetch: (input) => {
        urls.push(String(input));
        return Promise.resolve(json({ id: "x" }));
      },
    });
  await check([
    ["appId '.'", () => make("."), TypeError, /'appId' must not be "\."/],
    ["appId '..'", () => make(".."), TypeError, /'appId' must not be "\."/],
    [
      "appId with a lone surrogate",
      () => make("t\ud800"),
      TypeError,
      /'appId' must be well-formed/,
    ],
  ]);
  await make("a/../b").users.get("x");
  await make("...").users.get("x");
  assert.deepEqual(urls, [
    "https://api.talkjs.com/v1/a%2F..%2Fb/users/x",
    "https://api.talkjs.com/v1/.../users/x",
  ]);
});

test("users and conversations with /, .., %, unicode and control characters in IDs store exactly that ID", async () => {
  const { emu, talk } = emulated();
  for (const id of oddIds) {
    await talk.users.put(id, { name: `name of ${JSON.stringify(id)}` });
    const got = await talk.users.get(id);
    assert.equal(got.id, id, JSON.stringify(id));
    await talk.conversations.put(id, { participants: [id] });
    await talk.messages.send(id, { type: "UserMessage", sender: id, text: id });
    const { data } = await talk.messages.list({ conversationId: id });
    assert.deepEqual(data.map((m) => [m.text, m.senderId]), [[id, id]]);
  }
  assert.deepEqual(
    emu.store.users().map((u) => u.id).sort(),
    [...oddIds].sort(),
  );
  assert.deepEqual(
    emu.store.conversations().map((c) => c.id).sort(),
    [...oddIds].sort(),
  );
  const listed = await Array.fromAsync(listAll(talk.users.list, { limit: 3 }));
  assert.deepEqual(listed.map((u) => u.id).sort(), [...oddIds].sort());
  // A cursor that is an odd ID goes into the query string intact.
  const after = await talk.users.list({
    startingAfter: "?q=1#frag",
    limit: 100,
  });
  assert.ok(after.data.every((u) => u.id !== "?q=1#frag"));
});

// ---------------------------------------------------------------- helpers

test("paginate(), listAll(), withRetry(), createLimiter() and memoryStore() refuse bad arguments", async () => {
  const list: ListFn<{ id: string }> = Object.assign(
    () => Promise.resolve({ data: [] }),
    { maxLimit: 10 },
  );
  const store = memoryStore();
  const slot = { now: 0, intervalMs: 100, burst: 2 };
  const limiter = createLimiter();
  const fn = () => Promise.resolve(1);
  await check([
    [
      "paginate(undefined)",
      () => paginate(undefined as never),
      TypeError,
      /'list'/,
    ],
    [
      "paginate(list without maxLimit)",
      () => paginate((() => {}) as never),
      TypeError,
      /'list\.maxLimit'/,
    ],
    [
      "paginate(list, 'x')",
      () => paginate(list, "x" as never),
      TypeError,
      /'params'/,
    ],
    ...[0, 11, 1e9, NaN, -1].map((
      v,
    ): Row => [
      `paginate(list, {limit: ${v}})`,
      () => paginate(list, { limit: v }),
      RangeError,
      /'limit'/,
    ]),
    ...[-1, NaN, 2.5].map((
      v,
    ): Row => [
      `listAll(list, {maxItems: ${v}})`,
      () => listAll(list, { maxItems: v }),
      RangeError,
      /'maxItems'/,
    ]),
    [
      "listAll(list, {onPage: 'x'})",
      () => listAll(list, { onPage: "x" as never }),
      TypeError,
      /'onPage'/,
    ],
    ["listAll(5)", () => listAll(5 as never), TypeError, /'list'/],
    [
      "withRetry(undefined)",
      () => withRetry(undefined as never),
      TypeError,
      /'fn'/,
    ],
    [
      "withRetry(fn, null)",
      () => withRetry(fn, null as never),
      TypeError,
      /'options'/,
    ],
    [
      "withRetry(fn, {retries: -1})",
      () => withRetry(fn, { retries: -1 }),
      RangeError,
      /'retries'/,
    ],
    [
      "withRetry(fn, {retries: NaN})",
      () => withRetry(fn, { retries: NaN }),
      RangeError,
      /'retries'/,
    ],
    [
      "withRetry(fn, {minDelayMs: -1})",
      () => withRetry(fn, { minDelayMs: -1 }),
      RangeError,
      /'minDelayMs'/,
    ],
    [
      "withRetry(fn, {maxDelayMs: 1, minDelayMs: 2})",
      () => withRetry(fn, { maxDelayMs: 1, minDelayMs: 2 }),
      RangeError,
      /'maxDelayMs'/,
    ],
    [
      "withRetry(fn, {shouldRetry: 'x'})",
      () => withRetry(fn, { shouldRetry: "x" as never }),
      TypeError,
      /'shouldRetry'/,
    ],
    [
      "withRetry(fn, {clock: {}})",
      () => withRetry(fn, { clock: {} as never }),
      TypeError,
      /'clock'/,
    ],
    [
      "createLimiter('x')",
      () => createLimiter("x" as never),
      TypeError,
      /'options'/,
    ],
    ...[0, 1.5, -1, NaN].map((
      v,
    ): Row => [
      `createLimiter({burst: ${v}})`,
      () => createLimiter({ burst: v }),
      RangeError,
      /'burst'/,
    ]),
    ...[0, -1, NaN, Infinity].map((
      v,
    ): Row => [
      `createLimiter({perSecond: ${v}})`,
      () => createLimiter({ perSecond: v }),
      RangeError,
      /'perSecond'/,
    ]),
    [
      "createLimiter({concurrency: 0})",
      () => createLimiter({ concurrency: 0 }),
      RangeError,
      /'concurrency'/,
    ],
    [
      "createLimiter({concurrency: '1'})",
      () => createLimiter({ concurrency: "1" as never }),
      TypeError,
      /'concurrency'/,
    ],
    [
      "createLimiter({store: {}})",
      () => createLimiter({ store: {} as never }),
      TypeError,
      /'store'/,
    ],
    [
      "createLimiter({key: ''})",
      () => createLimiter({ key: "" }),
      TypeError,
      /'key'/,
    ],
    [
      "createLimiter({clock: {}})",
      () => createLimiter({ clock: {} as never }),
      TypeError,
      /'clock'/,
    ],
    ["limiter.penalize(-1)", () => limiter.penalize(-1), RangeError, /'ms'/],
    ["limiter.penalize(NaN)", () => limiter.penalize(NaN), RangeError, /'ms'/],
    [
      "limiter.penalize('5')",
      () => limiter.penalize("5" as never),
      TypeError,
      /'ms'/,
    ],
    [
      "limiter.schedule('x')",
      () => limiter.schedule("x" as never),
      TypeError,
      /'fn'/,
    ],
    [
      "store.reserve(5, …)",
      () => store.reserve(5 as never, slot),
      TypeError,
      /'key'/,
    ],
    [
      "store.reserve(k, null)",
      () => store.reserve("k", null as never),
      TypeError,
      /'options'/,
    ],
    [
      "store.reserve(now NaN)",
      () => store.reserve("k", { ...slot, now: NaN }),
      RangeError,
      /'now'/,
    ],
    [
      "store.reserve(intervalMs 0)",
      () => store.reserve("k", { ...slot, intervalMs: 0 }),
      RangeError,
      /'intervalMs'/,
    ],
    [
      "store.reserve(burst 0)",
      () => store.reserve("k", { ...slot, burst: 0 }),
      RangeError,
      /'burst'/,
    ],
    ["kvStore(undefined)", () => kvStore(undefined as never), TypeError],
    [
      "kvStore(kv, {prefix: ['a', {}]})",
      () => kvStore(fakeKv, { prefix: ["a", {} as never] }),
      TypeError,
      /'prefix\[1\]'/,
    ],
    [
      "kvStore(kv, {prefix: [null]})",
      () => kvStore(fakeKv, { prefix: [null as never] }),
      TypeError,
      /'prefix\[0\]'/,
    ],
    ["redisStore(undefined)", () => redisStore(undefined as never), TypeError],
    [
      "redisStore({eval: 1})",
      () => redisStore({ eval: 1 } as never),
      TypeError,
      /'client'/,
    ],
    [
      "redisStore(client, null)",
      () => redisStore(fakeRedis, null as never),
      TypeError,
      /'options'/,
    ],
    [
      "redisStore(client, {prefix: ['a']})",
      () => redisStore(fakeRedis, { prefix: ["a"] as never }),
      TypeError,
      /'prefix'/,
    ],
    ...[0, -5, NaN].map((v): Row => [
      `redisStore(client, {timeoutMs: ${v}})`,
      () => redisStore(fakeRedis, { timeoutMs: v }),
      RangeError,
      /'timeoutMs'/,
    ]),
    [
      "redisStore(client, {timeoutMs: '5'})",
      () => redisStore(fakeRedis, { timeoutMs: "5" as never }),
      TypeError,
      /'timeoutMs'/,
    ],
    [
      "redisStore(client, {clock: {}})",
      () => redisStore(fakeRedis, { clock: {} as never }),
      TypeError,
      /'clock'/,
    ],
    [
      "redisStore(client).reserve(burst 0)",
      () => redisStore(fakeRedis).reserve("k", { ...slot, burst: 0 }),
      RangeError,
      /'burst'/,
    ],
  ]);
});

test("tokens, webhooks, the emulator and the manual clock refuse bad arguments", async () => {
  const body = JSON.stringify({ type: "user.created", data: {} });
  const headers = await signWebhook({ secret: SECRET, body });
  const emu = createEmulator();
  const clock = createManualClock();
  await check([
    [
      "createAppToken(undefined)",
      () => createAppToken(undefined as never),
      TypeError,
      /'appId'/,
    ],
    [
      "createAppToken({appId: ''})",
      () => createAppToken({ appId: "", secretKey: SECRET }),
      TypeError,
      /'appId'/,
    ],
    [
      "createAppToken({secretKey: 5})",
      () => createAppToken({ appId: APP, secretKey: 5 as never }),
      TypeError,
      /'secretKey'/,
    ],
    ...[0, -1, NaN, Infinity].map((v): Row => [
      `createAppToken({ttlSeconds: ${v}})`,
      () => createAppToken({ appId: APP, secretKey: SECRET, ttlSeconds: v }),
      RangeError,
      /'ttlSeconds'/,
    ]),
    [
      "createUserToken({userId: ''})",
      () => createUserToken({ appId: APP, secretKey: SECRET, userId: "" }),
      TypeError,
      /'userId'/,
    ],
    [
      "createUserToken({userId: 5})",
      () =>
        createUserToken({ appId: APP, secretKey: SECRET, userId: 5 as never }),
      TypeError,
      /'userId'/,
    ],
    [
      "verifyWebhook(undefined)",
      () => verifyWebhook(undefined as never),
      TypeError,
      /'secret'/,
    ],
    [
      "verifyWebhook({secret: ''})",
      () => verifyWebhook({ secret: "", body, headers }),
      TypeError,
      /'secret'/,
    ],
    [
      "verifyWebhook({body: 5})",
      () => verifyWebhook({ secret: SECRET, body: 5 as never, headers }),
      TypeError,
      /'body'/,
    ],
    [
      "verifyWebhook({headers: null})",
      () => verifyWebhook({ secret: SECRET, body, headers: null as never }),
      TypeError,
      /'headers'/,
    ],
    [
      "verifyWebhook({toleranceSeconds: -1})",
      () =>
        verifyWebhook({ secret: SECRET, body, headers, toleranceSeconds: -1 }),
      RangeError,
      /'toleranceSeconds'/,
    ],
    [
      "verifyWebhook({toleranceSeconds: NaN})",
      () =>
        verifyWebhook({ secret: SECRET, body, headers, toleranceSeconds: NaN }),
      RangeError,
      /'toleranceSeconds'/,
    ],
    [
      "verifyWebhook(no headers)",
      () => verifyWebhook({ secret: SECRET, body, headers: {} }),
      TalkJsWebhookError,
    ],
    [
      "verifyWebhook(signature 'zz')",
      () =>
        verifyWebhook({
          secret: SECRET,
          body,
          headers: { ...headers, "X-TalkJS-Signature": "zz" },
        }),
      TalkJsWebhookError,
    ],
    [
      "verifyWebhook(timestamp 'soon')",
      () =>
        verifyWebhook({
          secret: SECRET,
          body,
          headers: { ...headers, "X-TalkJS-Timestamp": "soon" },
        }),
      TalkJsWebhookError,
    ],
    [
      "verifyWebhook(timestamp -1)",
      () =>
        verifyWebhook({
          secret: SECRET,
          body,
          headers: { ...headers, "X-TalkJS-Timestamp": "-1" },
        }),
      TalkJsWebhookError,
    ],
    [
      "signWebhook({timestamp: -1})",
      () => signWebhook({ secret: SECRET, body, timestamp: -1 }),
      RangeError,
      /'timestamp'/,
    ],
    [
      "signWebhook({timestamp: NaN})",
      () => signWebhook({ secret: SECRET, body, timestamp: NaN }),
      RangeError,
      /'timestamp'/,
    ],
    [
      "signWebhook({body: {}})",
      () => signWebhook({ secret: SECRET, body: {} as never }),
      TypeError,
      /'body'/,
    ],
    [
      "createEmulator({appId: 'a/b'})",
      () => createEmulator({ appId: "a/b" }),
      RangeError,
      /'appId'/,
    ],
    [
      "createEmulator({secretKey: ''})",
      () => createEmulator({ secretKey: "" }),
      RangeError,
      /'secretKey'/,
    ],
    [
      "createEmulator({secretKey: 'sk_test_x\\n'}) (a key createClient refuses)",
      () => createEmulator({ secretKey: "sk_test_x\n" }),
      RangeError,
      /'secretKey' must hold only letters/,
    ],
    [
      "createEmulator({rateLimit: {burst: 0}})",
      () => createEmulator({ rateLimit: { burst: 0, perSecond: 1 } }),
      RangeError,
      /'rateLimit\.burst'/,
    ],
    [
      "createEmulator({rateLimit: {perSecond: NaN}})",
      () => createEmulator({ rateLimit: { burst: 1, perSecond: NaN } }),
      RangeError,
      /'rateLimit\.perSecond'/,
    ],
    ["faults.inject(null)", () => emu.faults.inject(null as never), TypeError],
    ["faults.inject({})", () => emu.faults.inject({}), TypeError],
    [
      "faults.inject({status: 99})",
      () => emu.faults.inject({ status: 99 }),
      RangeError,
      /'status'/,
    ],
    [
      "faults.inject({delayMs: -1})",
      () => emu.faults.inject({ delayMs: -1 }),
      RangeError,
      /'delayMs'/,
    ],
    [
      "faults.inject({times: 0})",
      () => emu.faults.inject({ status: 500, times: 0 }),
      RangeError,
      /'times'/,
    ],
    [
      "createManualClock(NaN)",
      () => createManualClock(NaN),
      RangeError,
      /'start'/,
    ],
    ["clock.advance(-1)", () => clock.advance(-1), RangeError, /'ms'/],
    ["clock.advance(NaN)", () => clock.advance(NaN), RangeError, /'ms'/],
    [
      "talkjsWebhook({toleranceSeconds: -1})",
      () => talkjsWebhook({ secret: SECRET, toleranceSeconds: -1 }),
      RangeError,
    ],
    [
      "talkjsUserToken({userId: 5})",
      () => talkjsUserToken({ userId: 5 as never }),
      TypeError,
      /'userId'/,
    ],
    [
      "talkjsUserToken({userId, clock: {}})",
      () => talkjsUserToken({ userId: () => "a", clock: {} as never }),
      TypeError,
      /'clock'/,
    ],
  ]);
});

test("talkjs() with a bad option throws when made, naming it, before any request", () => {
  let made = false;
  assert.throws(() => {
    talkjs({ appId: APP, secretKey: SECRET, timeoutMs: -1 });
    made = true;
  }, (e) => {
    assert.ok(e instanceof RangeError);
    assert.match(e.message, /'timeoutMs'/);
    assert.ok(!e.message.includes(SECRET));
    sink.errors.push(e);
    return true;
  });
  assert.equal(made, false);
});

// ---------------------------------------------------------------- answers that are not TalkJS's

const HTML =
  "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>";

type Answer = [label: string, responder: Responder];
const answers: Answer[] = [
  [
    "an HTML error page (502)",
    () =>
      new Response(HTML, {
        status: 502,
        headers: { "content-type": "text/html" },
      }),
  ],
  [
    "an HTML page with 200",
    () =>
      new Response(HTML, {
        status: 200,
        headers: { "content-type": "text/html" },
      }),
  ],
  [
    "truncated JSON with 200",
    () => new Response('{"data":[{"id":"u1","na', { status: 200 }),
  ],
  ["a body cut mid-stream", () => CUT],
  ["204 No Content", () => new Response(null, { status: 204 })],
  [
    "429 with a garbage Retry-After",
    () =>
      new Response("slow down", {
        status: 429,
        headers: { "retry-after": "soon" },
      }),
  ],
];

type Call = [
  label: string,
  call: (t: ReturnType<typeof createClient>) => Promise<unknown>,
  reads: boolean,
];
const calls: Call[] = [
  ["users.get", (t) => t.users.get("u1"), true],
  ["users.list", (t) => t.users.list(), true],
  ["users.conversations", (t) => t.users.conversations({ userId: "u1" }), true],
  ["conversations.get", (t) => t.conversations.get("c1"), true],
  ["conversations.list", (t) => t.conversations.list(), true],
  ["messages.get", (t) => t.messages.get("c1", "m1"), true],
  ["messages.list", (t) => t.messages.list({ conversationId: "c1" }), true],
  ["listAll(users.list)", (t) => Array.fromAsync(listAll(t.users.list)), true],
  ["batch", (t) => t.batch([[1, "GET", "/users/u1"]]), true],
  ["participants.email", (t) => t.participants.email("c1", "u1"), true],
  ["users.presences", (t) => t.users.presences(), true],
  [
    "files.upload",
    (t) => t.files.upload(new Uint8Array([1]), { filename: "f" }),
    true,
  ],
  ["users.put", (t) => t.users.put("u1", { name: "A" }), false],
  ["users.putMany", (t) => t.users.putMany({ u1: { name: "A" } }), false],
  ["conversations.delete", (t) => t.conversations.delete("c1"), false],
  // A send answers its messages' IDs: an answer without them is no success.
  [
    "messages.send",
    (t) =>
      t.messages.send("c1", { type: "UserMessage", sender: "u", text: "t" }),
    true,
  ],
  [
    "messages.import",
    (t) =>
      t.messages.import("c1", {
        type: "UserMessage",
        sender: "u",
        text: "t",
        timestamp: 1,
      }),
    false,
  ],
];

async function againstServer(
  responder: Responder,
  run: (talk: ReturnType<typeof createClient>) => Promise<void>,
): Promise<void> {
  await using server = withNoDelay(startFakeServer);
  server.setDefault((r) => {
    recordToken(sink, r.headers);
    return responder(r);
  });
  const talk = createClient({
    appId: APP,
    secretKey: SECRET,
    baseUrl: server.url,
    limiter: false,
    retry: { retries: 1, minDelayMs: 1, maxDelayMs: 2, random: () => 0 },
  });
  await run(talk);
}

for (const [label, responder] of answers) {
  test(`every call answered with ${label} fails with a TalkJsError, never a wrong success`, async () => {
    await againstServer(responder, async (talk) => {
      const wrong: string[] = [];
      for (const [name, call] of calls) {
        const { value, error } = await outcome(() => call(talk));
        if (error !== undefined) sink.errors.push(error);
        if (error === undefined) {
          wrong.push(`${name}: succeeded with ${Deno.inspect(value)}`);
        } else if (!(error instanceof TalkJsError)) {
          wrong.push(`${name}: ${error}`);
        } else if (
          label === "a body cut mid-stream" &&
          !(error instanceof TalkJsNetworkError)
        ) {
          wrong.push(`${name}: ${error.name} instead of TalkJsNetworkError`);
        }
      }
      assert.deepEqual(wrong, []);
    });
  });
}

test("an empty 200 body is {} for writes and a TalkJsApiError for reads", async () => {
  await againstServer(() => new Response("", { status: 200 }), async (talk) => {
    for (const [name, call, reads] of calls) {
      const { value, error } = await outcome(() => call(talk));
      if (error !== undefined) sink.errors.push(error);
      if (reads) {
        assert.ok(
          error instanceof TalkJsApiError && error.status === 200,
          `${name}: ${error ?? Deno.inspect(value)}`,
        );
      } else {
        assert.equal(error, undefined, `${name}: ${error}`);
      }
    }
  });
});

test('every list and batch answered 200 {"data": null} fails with a TalkJsApiError', async () => {
  await againstServer(() => json({ data: null }), async (talk) => {
    for (const [name, call, reads] of calls) {
      if (!reads || name.endsWith(".get")) continue;
      const { value, error } = await outcome(() => call(talk));
      if (error !== undefined) sink.errors.push(error);
      assert.ok(
        error instanceof TalkJsApiError && error.status === 200,
        `${name}: ${error ?? Deno.inspect(value)}`,
      );
    }
  });
});

test('users.get(), conversations.get() and messages.get() answered 200 null, {"data": null}, [], "text" or 42 fail instead of resolving a non-record', async () => {
  const wrong: string[] = [];
  for (const body of ["null", '{"data": null}', "[]", '"text"', "42"]) {
    await againstServer(
      () => new Response(body, { status: 200 }),
      async (talk) => {
        for (const [name, call] of calls.filter(([n]) => n.endsWith(".get"))) {
          const { value, error } = await outcome(() => call(talk));
          if (error !== undefined) sink.errors.push(error);
          if (!(error instanceof TalkJsApiError)) {
            wrong.push(
              `${name} answered ${body}: ${
                error ?? `resolved ${Deno.inspect(value)}`
              }`,
            );
          }
        }
      },
    );
  }
  assert.deepEqual(wrong, []);
});

test("createClient() with timeoutMs beyond 2^31-1 ms (or Infinity) does not time out every request at once", async () => {
  // setTimeout fires at once when asked for more than 2^31-1 ms, so no timer
  // may be armed beyond that: watch every delay asked of it, and wait for none.
  const MAX_TIMEOUT = 2 ** 31 - 1;
  const emu = createEmulator({
    appId: APP,
    secretKey: SECRET,
    rateLimit: false,
  });
  const realSetTimeout = globalThis.setTimeout;
  const delays: number[] = [];
  globalThis.setTimeout = ((
    handler: (...args: unknown[]) => void,
    ms?: number,
    ...rest: unknown[]
  ) => {
    delays.push(ms ?? 0);
    return realSetTimeout(handler, ms, ...rest);
  }) as typeof setTimeout;
  try {
    for (const timeoutMs of [2 ** 31, 7 * 24 * 3600 * 1000 * 4, Infinity]) {
      delays.length = 0;
      let talk: ReturnType<typeof createClient>;
      try {
        talk = createClient({
          appId: APP,
          secretKey: SECRET,
          baseUrl: emu.baseUrl,
          fetch: emu.fetch,
          timeoutMs,
          retry: false,
        });
      } catch (error) {
        // Refusing the value up front is fine too.
        assert.ok(error instanceof RangeError, String(error));
        sink.errors.push(error);
        continue;
      }
      const { error } = await outcome(() =>
        talk.users.put("u1", { name: "A" })
      );
      if (error !== undefined) sink.errors.push(error);
      assert.equal(error, undefined, `timeoutMs ${timeoutMs}: ${error}`);
      assert.deepEqual(
        delays.filter((ms) => ms > MAX_TIMEOUT),
        [],
        `timeoutMs ${timeoutMs}: a timer that fires at once`,
      );
      if (timeoutMs !== Infinity) {
        assert.ok(
          delays.includes(MAX_TIMEOUT),
          `timeoutMs ${timeoutMs}: its first step is as long as setTimeout allows`,
        );
      }
    }
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
});
