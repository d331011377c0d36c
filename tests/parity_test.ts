/**
 * The parity check (`deno task parity`), run here against two emulators:
 * identical ones must show no difference, and one with deliberate deviations
 * must have each of them reported.
 */
import assert from "node:assert/strict";
import { createEmulator } from "../testing.ts";
import {
  compareRuns,
  runScenario,
  type Target,
  uniquePrefix,
} from "../bin/_parity.ts";
import { compareShapes, shapeOf } from "../bin/_shape.ts";

function emulatorTarget(
  name: string,
  wrap: (f: typeof fetch) => typeof fetch = (f) => f,
): Target & { emu: ReturnType<typeof createEmulator> } {
  const emu = createEmulator();
  return {
    name,
    emu,
    appId: emu.appId,
    secretKey: emu.secretKey,
    baseUrl: emu.baseUrl,
    fetch: wrap(emu.fetch),
  };
}

/**
 * An emulator that deviates: GET /users/{id} answers without `createdAt`
 * and with `role` as a number, an unknown conversation is a 400 instead of a
 * 404, and conversation lists come oldest first.
 */
const deviating =
  (inner: typeof fetch): typeof fetch => async (input, init) => {
    const req = new Request(input, init);
    const path = new URL(req.url).pathname;
    const res = await inner(req);
    if (req.method === "GET" && /\/users\/[^/]+$/.test(path) && res.ok) {
      const user = await res.json();
      delete user.createdAt;
      user.role = 7;
      return Response.json(user);
    }
    if (req.method === "GET" && path.endsWith("nothing")) {
      return Response.json({ errorCode: "X" }, { status: 400 });
    }
    if (req.method === "GET" && path.endsWith("/conversations") && res.ok) {
      const page = await res.json();
      page.data.reverse();
      return Response.json(page);
    }
    return res;
  };

Deno.test("runScenario() covers every endpoint, and two emulators show no difference", async () => {
  const prefix = uniquePrefix();
  const a = emulatorTarget("a");
  const b = emulatorTarget("b");
  const first = await runScenario(a, prefix);
  const second = await runScenario(b, prefix);
  assert.deepEqual(compareRuns(first, second), []);
  const endpoints = new Set(first.map((o) => o.endpoint));
  for (
    const endpoint of [
      "PUT /users/{id}",
      "PUT /users",
      "GET /users/{id}",
      "GET /users",
      "GET /users/{id}/conversations",
      "PUT /conversations/{id}",
      "GET /conversations/{id}",
      "GET /conversations",
      "DELETE /conversations/{id}",
      "PUT /conversations/{id}/participants/{id}",
      "PATCH /conversations/{id}/participants/{id}",
      "DELETE /conversations/{id}/participants/{id}",
      "POST /conversations/{id}/messages",
      "GET /conversations/{id}/messages",
      "POST /import/conversations/{id}/messages",
      "POST /conversations/{id}/notifications",
      "POST /batch",
      "GET /conversations/{id}/participants/{id}/email",
      "POST /presences",
      "POST /files",
    ]
  ) {
    assert.ok(endpoints.has(endpoint), `the scenario calls ${endpoint}`);
  }
  assert.ok(
    [...endpoints].some((e) =>
      e.startsWith("GET /conversations/{id}/messages/")
    ),
    "the scenario gets a message by the ID its send answered",
  );
  // Every documented call succeeds against the emulator, and what the
  // scenario made is gone or emptied afterwards.
  const failed = first.filter((o) =>
    o.status !== 200 &&
    !/unknown|without a name|non-participant|too many|deleted message|orderBy \(2021-01-01\)/
      .test(o.step)
  );
  assert.deepEqual(failed.map((o) => `${o.step}: ${o.status}`), []);
  assert.deepEqual(
    a.emu.store.conversations().map((c) => c.id),
    [],
    "the scenario's conversations are deleted",
  );
  assert.ok(
    a.emu.store.users().every((u) => u.name === "[deleted]"),
    "the scenario's users are emptied",
  );
});

Deno.test("compareRuns() reports each deliberate deviation of an emulator: a missing field, a type, a status and an order", async () => {
  const prefix = uniquePrefix();
  const faithful = await runScenario(emulatorTarget("faithful"), prefix);
  const other = await runScenario(
    emulatorTarget("deviating", deviating),
    prefix,
  );
  const lines = compareRuns(faithful, other, ["TalkJS", "emulator"]).map((d) =>
    `${d.step}: ${d.what}`
  );
  const expect = (pattern: RegExp) =>
    assert.ok(
      lines.some((l) => pattern.test(l)),
      `${pattern} in:\n${lines.join("\n")}`,
    );
  expect(
    /^get a user: createdAt: number \(TalkJS\) vs \(missing\) \(emulator\)$/,
  );
  expect(/^get a user: role: string \(TalkJS\) vs number \(emulator\)$/);
  expect(
    /^get an unknown conversation: status 404 \(TalkJS\) vs 400 \(emulator\)$/,
  );
  const order = faithful.find((o) => o.step === "list conversations")!.order!;
  assert.equal(order.length, 2);
  assert.ok(
    lines.includes(
      `list conversations: order ${JSON.stringify(order)} (TalkJS) vs ${
        JSON.stringify(order.toReversed())
      } (emulator)`,
    ),
    lines.join("\n"),
  );
  // Nothing else: the unchanged steps agree.
  assert.ok(
    lines.every((l) =>
      /^(get (a|the updated) user|get a user with(out)? push tokens|get an unknown conversation|list conversations[^:]*|list a user's conversations):/
        .test(l)
    ),
    lines.join("\n"),
  );
});

Deno.test("shapeOf() keeps field names and types, folds data keys, and compareShapes() names the difference", () => {
  const a = shapeOf(
    { data: [{ id: "x", custom: { k: "v" }, n: null }, { id: "y", n: 1 }] },
    new Set(["custom"]),
  );
  assert.deepEqual(a, {
    ".": ["object"],
    data: ["array"],
    "data[]": ["object"],
    "data[].id": ["string"],
    "data[].custom": ["object"],
    "data[].custom.{}": ["string"],
    "data[].n": ["null", "number"],
  });
  const b = shapeOf({ data: [{ id: 1 }] });
  assert.deepEqual(compareShapes(a, b).map((d) => d.path), [
    "data[].custom",
    "data[].custom.{}",
    "data[].id",
    "data[].n",
  ]);
});

async function runParity(
  env: Record<string, string>,
): Promise<{ code: number; out: string }> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-env",
      new URL("../bin/parity.ts", import.meta.url).pathname,
    ],
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  const timer = setTimeout(() => child.kill(), 60_000);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return { code, out: dec.decode(stdout) + dec.decode(stderr) };
}

Deno.test("deno task parity refuses a sk_live_ key and missing credentials", async () => {
  const live = await runParity({
    TALKJS_APP_ID: "app",
    TALKJS_SECRET_KEY: "sk_live_abc",
    TALKJS_BASE_URL: "http://127.0.0.1:9",
  });
  assert.equal(live.code, 2);
  assert.match(live.out, /Refusing a sk_live_ key/);
  const none = await runParity({});
  assert.equal(none.code, 2);
  assert.match(none.out, /TALKJS_APP_ID and TALKJS_SECRET_KEY must be set/);
});

Deno.test("deno task parity against an emulator over loopback: no differences, exit 0; against a deviating one: each listed, exit 1", async () => {
  for (
    const [wrap, code] of [[(f: typeof fetch) => f, 0], [deviating, 1]] as const
  ) {
    const emu = createEmulator({
      appId: "parity",
      secretKey: "sk_test_parity",
    });
    const handler = wrap(emu.app.fetch as typeof fetch);
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => handler(req),
    );
    const { code: exit, out } = await runParity({
      TALKJS_APP_ID: "parity",
      TALKJS_SECRET_KEY: "sk_test_parity",
      TALKJS_BASE_URL: `http://127.0.0.1:${server.addr.port}`,
    });
    assert.equal(exit, code, out);
    if (code === 0) assert.match(out, /No differences\./);
    else {
      assert.match(out, /differences:/);
      // Here the deviating server stands where TalkJS would.
      assert.match(
        out,
        /- get a user \(GET \/users\/\{id\}\): createdAt: \(missing\) \(TalkJS\) vs number \(emulator\)/,
      );
    }
  }
});

Deno.test("runScenario() runs every clean-up step when one fails, then throws the first failure", async () => {
  let cut = true;
  const target = emulatorTarget("a", (inner) => (input, init) => {
    const req = new Request(input, init);
    if (
      req.method === "DELETE" && cut && /\/conversations\/[^/]+$/.test(req.url)
    ) {
      cut = false;
      return Promise.reject(new TypeError("connection reset"));
    }
    return inner(req);
  });
  // No retries would cover a second cut; one cut is retried by the client,
  // so fail every attempt of that one call.
  const failing = emulatorTarget("b", (inner) => (input, init) => {
    const req = new Request(input, init);
    if (req.method === "DELETE" && req.url.endsWith("c1")) {
      return Promise.reject(new TypeError("connection reset"));
    }
    return inner(req);
  });
  await runScenario(target, uniquePrefix()); // a retried cut is no failure
  const error = await runScenario(failing, uniquePrefix()).catch((e) => e);
  assert.match(String(error?.cause ?? error), /connection reset/);
  assert.deepEqual(
    failing.emu.store.conversations().map((c) => c.id.replace(/^.*-/, "")),
    ["c1"],
    "c2 was deleted after c1's clean-up failed",
  );
  assert.ok(
    failing.emu.store.users().every((u) => u.name === "[deleted]"),
    "and every user was emptied",
  );
});

Deno.test("runScenario() pins one API version on both sides and takes list shapes over its own records only", async () => {
  const prefix = uniquePrefix();
  // An app whose default version is old, with a record of its own that has
  // fields the scenario's records lack.
  const old = emulatorTarget("old");
  const emu = createEmulator({ apiVersion: "2021-01-01" });
  const oldApp = {
    ...old,
    emu,
    appId: emu.appId,
    secretKey: emu.secretKey,
    baseUrl: emu.baseUrl,
    fetch: emu.fetch,
  };
  const res = await emu.fetch(
    `${emu.baseUrl}/v1/${emu.appId}/conversations/theirs`,
    {
      method: "PUT",
      headers: {
        authorization: `Bearer ${emu.secretKey}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({
        photoUrl: "https://example.com/x.png",
        welcomeMessages: ["Hi"],
      }),
    },
  );
  assert.equal(res.status, 200);
  const a = await runScenario(emulatorTarget("new"), prefix);
  const b = await runScenario(oldApp, prefix);
  assert.deepEqual(compareRuns(a, b), []);
});
