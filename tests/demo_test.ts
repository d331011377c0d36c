// The demo (examples/export.ts) as a user runs it: a subprocess, its files and what it prints.
import assert from "node:assert/strict";
import { createClient } from "../mod.ts";
import { cleanEnv, startEmulator } from "./_served.ts";

const decoder = new TextDecoder();
const KINDS = ["users", "conversations", "messages"] as const;

function command(
  args: string[],
  env: Record<string, string> = {},
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1,localhost",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "examples/export.ts",
      ...args,
    ],
    env: cleanEnv(env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  });
}

async function demo(
  out: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await command([
    "--out",
    out,
    "--speed",
    "500",
    ...args,
  ]).output();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

async function state(out: string) {
  return JSON.parse(await Deno.readTextFile(`${out}/state.json`));
}

async function records(out: string, kind: string): Promise<string[]> {
  return (await Deno.readTextFile(`${out}/${kind}.ndjson`)).split("\n")
    .filter(Boolean);
}

/** The files of `out` hold exactly the records of `expected`, in the same order, each once. */
async function assertSameExport(out: string, expected: string): Promise<void> {
  for (const kind of KINDS) {
    const got = await records(out, kind);
    const want = await records(expected, kind);
    assert.equal(got.length, want.length, kind);
    assert.ok(got.every((line, i) => line === want[i]), `${kind} differ`);
    const ids = got.map((line) => JSON.parse(line).id);
    assert.equal(new Set(ids).size, ids.length, `${kind}: an ID twice`);
  }
  // Every conversation's last message is among the exported messages.
  const messageIds = new Set(
    (await records(out, "messages")).map((l) => JSON.parse(l).id),
  );
  for (const line of await records(out, "conversations")) {
    const last = JSON.parse(line).lastMessage;
    if (last) assert.ok(messageIds.has(last.id), `missing ${last.id}`);
  }
}

// One uninterrupted export to compare the others with, made once.
let reference: Promise<string> | undefined;
function uninterrupted(): Promise<string> {
  reference ??= (async () => {
    const out = await Deno.makeTempDir({ prefix: "talkjs-demo-ref-" });
    const run = await demo(out);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^Starting a fresh export into /);
    for (const kind of KINDS) {
      assert.match(
        run.stdout,
        new RegExp(`\\| ${kind} +\\| +\\d+ \\| +\\d+ \\| yes +\\|`),
      );
    }
    assert.match(run.stdout, /429 answers +0/);
    return out;
  })();
  return reference;
}

Deno.test("the demo resumed after interruptions at every kind of step exports what an uninterrupted run does, each record once", async () => {
  const expected = await uninterrupted();
  const out = await Deno.makeTempDir({ prefix: "talkjs-demo-" });
  try {
    // Steps: a page of 100 users (20), a page of conversations (3), then
    // per conversation its pages of messages and a "done" step.
    const inUsers = await demo(out, "--stop-after", "5");
    assert.equal(inUsers.code, 0, inUsers.stderr);
    assert.match(
      inUsers.stderr,
      /Stopped after 5 steps \(--stop-after\) at users, after user_/,
    );
    assert.deepEqual((await state(out)).counts.users, 500);

    const inConversations = await demo(out, "--stop-after", "16");
    assert.match(
      inConversations.stderr,
      /Resuming the export in .* from .*state\.json: users, after user_\d+ \(500 users, 0 conversations, 0 messages already exported\)/,
    );
    assert.deepEqual(
      [(await state(out)).phase, (await state(out)).counts.conversations],
      ["conversations", 100],
    );

    // The last page of conversations, its phase not yet marked done.
    await demo(out, "--stop-after", "2");
    assert.deepEqual(
      [(await state(out)).phase, (await state(out)).counts.conversations],
      ["conversations", 300],
    );

    // Into the messages: stop on the first page of the first conversation
    // that has more than one page, then right after its "done" step.
    const pages = await pagesPerConversation(expected);
    const k = pages.findIndex((n) => n > 1);
    assert.ok(k >= 0, "some conversation has more than 100 messages");
    const toFirstPage = pages.slice(0, k).reduce((sum, n) => sum + n + 1, 0) +
      1;
    const midMessages = await demo(out, "--stop-after", String(toFirstPage));
    assert.equal(midMessages.code, 0, midMessages.stderr);
    let saved = await state(out);
    assert.deepEqual([saved.phase, saved.conversation], ["messages", k]);
    assert.match(saved.cursor, /^msg_/, "stopped inside a conversation");

    const afterDone = await demo(out, "--stop-after", String(pages[k]!));
    assert.match(
      afterDone.stderr,
      new RegExp(
        `Resuming .*: messages of conversation ${
          k + 1
        } of 300, after ${saved.cursor}`,
      ),
    );
    saved = await state(out);
    assert.deepEqual(
      [saved.phase, saved.conversation, saved.cursor],
      ["messages", k + 1, undefined],
      "stopped right after a conversation's done step",
    );

    const last = await demo(out);
    assert.equal(last.code, 0, last.stderr);
    assert.match(last.stderr, /Resuming .*: messages of conversation /);
    assert.match(last.stdout, /\| messages +\| +10000 \| +10000 \| yes +\|/);
    await assertSameExport(out, expected);
    assert.equal((await state(out)).phase, "done");

    // Run again when done: a fresh export over it, the same records.
    const again = await demo(out);
    assert.match(again.stderr, /is complete; starting a fresh one over it/);
    await assertSameExport(out, expected);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

/** Pages each conversation's messages took, in export order (0 for none). */
async function pagesPerConversation(out: string): Promise<number[]> {
  const counts = new Map<string, number>();
  for (const line of await records(out, "messages")) {
    const id = JSON.parse(line).conversationId;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return (await records(out, "conversations")).map((line) =>
    Math.ceil((counts.get(JSON.parse(line).id) ?? 0) / 100)
  );
}

Deno.test("the demo redoes a conversation whose saved cursor the app no longer knows", async () => {
  const expected = await uninterrupted();
  const out = await Deno.makeTempDir({ prefix: "talkjs-demo-" });
  try {
    const pages = await pagesPerConversation(expected);
    const k = pages.findIndex((n) => n > 1);
    const steps = 23 + pages.slice(0, k).reduce((sum, n) => sum + n + 1, 0) +
      1;
    await demo(out, "--stop-after", String(steps));
    const saved = await state(out);
    assert.match(saved.cursor, /^msg_/);
    // As if that message had been deleted since.
    saved.cursor = "msg_deleted_since";
    await Deno.writeTextFile(`${out}/state.json`, JSON.stringify(saved));
    const resumed = await demo(out);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(
      resumed.stderr,
      /Cursor msg_deleted_since is unknown now; exporting conv_\d+ again/,
    );
    await assertSameExport(out, expected);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

/** Starts the demo; sends SIGINT once stderr shows `trigger`; its exit code and output. */
async function interruptWhen(
  out: string,
  trigger: RegExp,
): Promise<{ code: number; stderr: string }> {
  const child = command(["--out", out, "--speed", "25"]).spawn();
  const stdout = new Response(child.stdout).text();
  let stderr = "";
  let sent = false;
  for await (
    const chunk of child.stderr.pipeThrough(new TextDecoderStream())
  ) {
    stderr += chunk;
    if (!sent && trigger.test(stderr)) {
      sent = true;
      child.kill("SIGINT");
    }
  }
  const { code } = await child.status;
  await stdout;
  return { code, stderr };
}

Deno.test("the demo on Ctrl-C says where it stopped and how to resume, having saved its state", async () => {
  const expected = await uninterrupted();
  const out = await Deno.makeTempDir({ prefix: "talkjs-demo-" });
  try {
    const seeding = await interruptWhen(out, /^seeding: /m);
    assert.equal(seeding.code, 130, seeding.stderr);
    assert.match(
      seeding.stderr,
      /Interrupted \(Ctrl-C\) while seeding the emulator: .* Run the same command again to resume\.\n$/,
    );
    assert.ok(!/error|at file:/i.test(seeding.stderr), seeding.stderr);

    // During the export (paced at 9 requests/s of a clock 25 times faster,
    // it takes over a second).
    const exporting = await interruptWhen(out, /^ETA = /m);
    assert.equal(exporting.code, 130, exporting.stderr);
    const where =
      /Interrupted \(Ctrl-C\) at (.+); everything up to there is saved in .*state\.json\. Run the same command again to resume from there\.\n$/
        .exec(exporting.stderr);
    assert.ok(where, exporting.stderr);
    assert.ok(!/error|at file:/i.test(exporting.stderr), exporting.stderr);
    assert.notEqual((await state(out)).phase, "done");

    const resumed = await demo(out);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.ok(
      resumed.stderr.includes(`from ${out}/state.json: ${where[1]} (`),
      `resumes where it said it stopped: ${where[1]}\n${resumed.stderr}`,
    );
    await assertSameExport(out, expected);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("the demo on Ctrl-C while seeding over a finished export leaves its files as they were", async () => {
  const expected = await uninterrupted();
  const out = await Deno.makeTempDir({ prefix: "talkjs-demo-" });
  try {
    for (const kind of [...KINDS, "state"]) {
      const ext = kind === "state" ? "json" : "ndjson";
      await Deno.copyFile(
        `${expected}/${kind}.${ext}`,
        `${out}/${kind}.${ext}`,
      );
    }
    const seeding = await interruptWhen(out, /^seeding: /m);
    assert.equal(seeding.code, 130, seeding.stderr);
    await assertSameExport(out, expected);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("the demo writes one progress line per update when stderr is not a terminal, every phase included", async () => {
  const out = await Deno.makeTempDir({ prefix: "talkjs-demo-" });
  try {
    const run = await demo(out);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(!run.stderr.includes("\r"), "no carriage returns");
    const lines = run.stderr.split("\n");
    for (
      const line of [
        /^seeding: 2000\/2000 users, 0\/300 conversations/,
        /^seeding: .*10000\/10000 messages \(1464 requests\)$/,
        /^export users: 2000 records, 21 requests .*, ETA [\d.]+ s \(~\d+ requests left\)$/,
        /^export conversations: 2300 records, 25 requests /,
        /^export conversation 300\/300: 12300 records, /,
        /^export done: 12300 records, .*ETA 0\.0 s \(~0 requests left\)$/,
        /^ETA = requests left ÷ 9\/s after what is left of the limiter's burst of 600, or ÷ the pace so far when slower; requests left are estimated from the seeded counts/,
      ]
    ) {
      assert.ok(lines.some((l) => line.test(l)), `no line ${line}`);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("the demo --help prints usage and exits 0; a bad flag is one line and exit 2", async () => {
  const out = await Deno.makeTempDir({ prefix: "talkjs-demo-" });
  try {
    for (const flag of ["--help", "-h"]) {
      const help = await demo(out, flag);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /^Usage: deno task demo /);
      for (
        const word of ["--out", "--speed", "--stop-after", "TALKJS_BASE_URL"]
      ) {
        assert.ok(help.stdout.includes(word), word);
      }
      assert.equal(help.stderr, "");
    }
    for (
      const [args, message] of [
        [
          ["--stop-after", "0"],
          /^--stop-after must be a whole number of steps >= 1: current value is 0 /,
        ],
        [["--stop-after=0"], /^--stop-after must be a whole number/],
        [["--stop-after", "2.5"], /^--stop-after must be a whole number/],
        [["--stop-after", "abc"], /^--stop-after must be a whole number/],
        [["--stop-after"], /^Missing value for --stop-after /],
        [["--speed", "0"], /^--speed must be a number >= 1/],
        [["--bogus"], /^Unknown option --bogus; known: /],
        [["stray"], /^Unexpected argument: stray /],
      ] as [string[], RegExp][]
    ) {
      const bad = await demo(out, ...args);
      assert.equal(bad.code, 2, `${args.join(" ")}: ${bad.stderr}`);
      assert.match(bad.stderr, message);
      assert.match(bad.stderr, /\(see deno task demo --help\)\n$/);
      assert.equal(bad.stderr.split("\n").length, 2, bad.stderr);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("the demo refuses a state.json that is not JSON in one line, and leaves it", async () => {
  const out = await Deno.makeTempDir({ prefix: "talkjs-demo-" });
  try {
    await Deno.writeTextFile(`${out}/state.json`, '{"phase": "mess');
    const run = await demo(out);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /state\.json is not the state this demo saves/);
    assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
    assert.equal(
      await Deno.readTextFile(`${out}/state.json`),
      '{"phase": "mess',
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("the demo exports the app TALKJS_BASE_URL points at: deno task emulator", async () => {
  await using emulator = await startEmulator();
  const base = emulator.match;
  const out = await Deno.makeTempDir({ prefix: "talkjs-demo-" });
  try {
    const talk = createClient({
      appId: "tEmulator",
      secretKey: "sk_test_emulator",
      baseUrl: base,
    });
    await talk.users.putMany({ ann: { name: "Ann" }, bob: { name: "Bob" } });
    await talk.conversations.put("c1", { participants: ["ann", "bob"] });
    await talk.messages.send("c1", [
      { type: "UserMessage", sender: "ann", text: "Hi" },
      { type: "UserMessage", sender: "bob", text: "Hello" },
    ]);

    const { code, stdout, stderr } = await command(["--out", out], {
      TALKJS_APP_ID: "tEmulator",
      TALKJS_SECRET_KEY: "sk_test_emulator",
      TALKJS_BASE_URL: base,
    }).output();
    const err = decoder.decode(stderr);
    assert.equal(code, 0, err);
    assert.match(
      err,
      new RegExp(`Exporting TalkJS app tEmulator at ${base} \\(read-only`),
    );
    assert.match(decoder.decode(stdout), /\| messages +\| +2 \| +- \| yes +\|/);
    assert.deepEqual(
      (await records(out, "users")).map((l) => JSON.parse(l).id).sort(),
      ["ann", "bob"],
    );
    assert.deepEqual(
      (await records(out, "messages")).map((l) => JSON.parse(l).text),
      ["Hello", "Hi"],
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("the demo against a real app: a conversation deleted mid-export is skipped, a deleted cursor redoes its list, another app's state starts fresh, and an error is one line", async () => {
  await using emulator = await startEmulator();
  const base = emulator.match;
  const out = await Deno.makeTempDir({ prefix: "talkjs-demo-" });
  const env = {
    TALKJS_APP_ID: "tEmulator",
    TALKJS_SECRET_KEY: "sk_test_emulator",
    TALKJS_BASE_URL: base,
  };
  const run = async (args: string[], vars: Record<string, string> = env) => {
    const { code, stderr } = await command(["--out", out, ...args], vars)
      .output();
    return { code, stderr: decoder.decode(stderr) };
  };
  try {
    const talk = createClient({
      appId: "tEmulator",
      secretKey: "sk_test_emulator",
      baseUrl: base,
    });
    await talk.users.putMany({ ann: { name: "Ann" }, bob: { name: "Bob" } });
    for (const id of ["c1", "c2", "c3"]) {
      await talk.conversations.put(id, { participants: ["ann", "bob"] });
      await talk.messages.send(id, {
        type: "UserMessage",
        sender: "ann",
        text: `in ${id}`,
      });
    }
    // Users, conversations (newest first: c3, c2, c1), then c3's messages
    // page and done: stopped before c2 and c1.
    const first = await run(["--stop-after", "4"]);
    assert.equal(first.code, 0, first.stderr);
    await talk.conversations.delete("c1");
    const second = await run([]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /Conversation c1 is gone now; skipping it\./);
    assert.deepEqual(
      (await records(out, "messages")).map((l) => JSON.parse(l).text),
      ["in c3", "in c2"],
    );

    // The conversations list stopped on a cursor deleted since: redone.
    for (let i = 0; i < 110; i++) {
      await talk.conversations.put(`k${String(i).padStart(3, "0")}`, {});
    }
    // The users page, then the first conversations page (of 100).
    const third = await run(["--stop-after", "2"]);
    assert.equal(third.code, 0, third.stderr);
    const saved = await state(out);
    assert.equal(saved.phase, "conversations");
    await talk.conversations.delete(saved.cursor as string);
    const fourth = await run([]);
    assert.equal(fourth.code, 0, fourth.stderr);
    assert.match(
      fourth.stderr,
      new RegExp(
        `Cursor ${saved.cursor} is unknown now; exporting conversations again\\.`,
      ),
    );
    const ids = (await records(out, "conversations")).map((l) =>
      JSON.parse(l).id
    );
    assert.equal(ids.length, 111, "110 + c3 + c2 - the deleted one");
    assert.equal(new Set(ids).size, ids.length, "each once");

    // A state saved for the seeded emulator is not resumed against this app.
    const emulatorRun = await demo(out, "--stop-after", "1");
    assert.equal(emulatorRun.code, 0, emulatorRun.stderr);
    const fresh = await run(["--stop-after", "1"]);
    assert.match(
      fresh.stderr,
      /is of the seeded emulator, not app tEmulator at .*; starting a fresh one over it\./,
    );

    // The server gone: one line saying how to go on, no stack trace.
    const down = await run([], {
      ...env,
      TALKJS_BASE_URL: "http://127.0.0.1:9",
    });
    assert.equal(down.code, 1, down.stderr);
    assert.match(
      down.stderr,
      /Stopped .* by an error: .*run the same command again to resume, or remove/,
    );
    assert.ok(!/\n\s+at /.test(down.stderr), down.stderr);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
