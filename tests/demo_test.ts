import assert from "node:assert/strict";

const decoder = new TextDecoder();

async function demo(
  out: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...Deno.env.toObject() };
  delete env.TALKJS_APP_ID;
  delete env.TALKJS_SECRET_KEY;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1,localhost",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "examples/export.ts",
      "--out",
      out,
      "--speed",
      "100",
      ...args,
    ],
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

async function ids(path: string): Promise<string[]> {
  return (await Deno.readTextFile(path)).split("\n").filter(Boolean).map((l) =>
    JSON.parse(l).id
  );
}

Deno.test("the demo exports every seeded record once, and resumes after an interruption", async () => {
  const out = await Deno.makeTempDir({ prefix: "talkjs-demo-" });
  try {
    // 20 pages of 100 users, then one page of 100 conversations.
    const first = await demo(out, "--stop-after", "21");
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /Stopped after 21 steps/);
    const partial = await ids(`${out}/conversations.ndjson`);
    assert.ok(
      partial.length > 0 && partial.length < 300,
      `partial export: ${partial.length}`,
    );

    // Stops right after a conversation's messages were saved as done (2
    // conversation pages, then a page and a "done" step per conversation):
    // the resumed run must not export that conversation again.
    const middle = await demo(out, "--stop-after", "92");
    assert.equal(middle.code, 0, middle.stderr);
    assert.match(middle.stderr, /Resuming: conversations after conv_/);
    const saved = JSON.parse(await Deno.readTextFile(`${out}/state.json`));
    assert.deepEqual([saved.phase, saved.conversation, saved.cursor], [
      "messages",
      45,
      undefined,
    ]);

    // Stops again in the middle of a conversation's messages, whose IDs a new
    // emulator does not know.
    const third = await demo(out, "--stop-after", "3");
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stderr, /Resuming: messages at conversation 46 /);

    const second = await demo(out);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /Resuming: messages after msg_/);
    for (const kind of ["users", "conversations", "messages"]) {
      assert.match(
        second.stdout,
        new RegExp(`\\| ${kind} +\\| +\\d+ \\| +\\d+ \\| yes +\\|`),
      );
    }
    const [users, conversations, messages] = await Promise.all(
      ["users", "conversations", "messages"].map((k) =>
        ids(`${out}/${k}.ndjson`)
      ),
    );
    assert.equal(users!.length, 2000);
    assert.equal(new Set(users).size, 2000);
    assert.equal(conversations!.length, 300);
    assert.equal(new Set(conversations).size, 300);
    assert.equal(messages!.length, 10_000);
    assert.equal(new Set(messages).size, 10_000);
    assert.match(second.stdout, /429 answers +0/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("the demo refuses a --stop-after that is not a whole number of steps", async () => {
  const out = await Deno.makeTempDir({ prefix: "talkjs-demo-" });
  try {
    for (const value of ["abc", "0", "2.5"]) {
      const run = await demo(out, "--stop-after", value);
      assert.notEqual(run.code, 0, value);
      assert.match(run.stderr, /--stop-after must be a whole number/);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
