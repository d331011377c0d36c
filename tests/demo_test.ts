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
    const first = await demo(out, "--stop-after", "25");
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /Stopped after 25 pages/);
    const partial = await ids(`${out}/conversations.ndjson`);
    assert.ok(
      partial.length > 0 && partial.length < 300,
      `partial export: ${partial.length}`,
    );

    // Stops again in the middle of the messages, whose IDs a new emulator does not know.
    const middle = await demo(out, "--stop-after", "100");
    assert.equal(middle.code, 0, middle.stderr);
    assert.match(middle.stderr, /Resuming: conversations after conv_/);
    assert.ok((await ids(`${out}/messages.ndjson`)).length > 0);

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
