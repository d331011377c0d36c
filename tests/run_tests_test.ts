// bin/run_tests.ts (`deno task test`): its rows of dots, and the watchdog
// that stops a run in which a test hangs.
import assert from "node:assert/strict";

// deno-lint-ignore no-control-regex
const COLOUR = /\x1b\[[0-9;]*m/g;
const plain = (line: string) => line.replace(COLOUR, "");

const RUNNER = new URL("../bin/run_tests.ts", import.meta.url).pathname;

/** Runs bin/run_tests.ts on `files` with `env`, killed after 60 s at most. */
async function runTests(
  files: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-run",
      "--allow-env",
      RUNNER,
      ...files,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    const { code, stdout, stderr } = await child.output();
    const text = new TextDecoder();
    return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
  } finally {
    clearTimeout(guard);
  }
}

async function withTestFile<T>(
  source: string,
  fn: (file: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/sample_test.ts`;
  await Deno.writeTextFile(file, source);
  try {
    return await fn(file);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("run_tests stops a run in which a test hangs, says so and exits 1", async () => {
  const hanging =
    `Deno.test("hangs", () => new Promise(() => setInterval(() => {}, 1000)));\n`;
  await withTestFile(hanging, async (file) => {
    const started = performance.now();
    const { code, stderr } = await runTests([file], {
      TALKJS_TEST_TIMEOUT_MS: "3000",
    });
    assert.equal(code, 1, stderr);
    assert.match(stderr, /did not finish within 3000 ms and was stopped/);
    // Stopped by the watchdog, not by this test's 60 s guard.
    assert.ok(performance.now() - started < 50_000);
  });
});

Deno.test("run_tests passes a finished run's code through, in rows of dots", async () => {
  const tests = Array.from(
    { length: 100 },
    (_, i) => `Deno.test("t${i}", () => {});`,
  ).join("\n") + `\nDeno.test("fails", () => { throw new Error("no"); });\n`;
  await withTestFile(tests, async (file) => {
    const { code, stdout } = await runTests([file], {
      TALKJS_TEST_TIMEOUT_MS: "120000",
    });
    assert.equal(code, 1, stdout);
    assert.match(stdout, /100 passed.*1 failed/);
    // 101 dots: one row of 80 and one of 21, not a line each.
    const rows = stdout.split("\n").map(plain).filter((l) => /^[.!]+$/.test(l));
    assert.deepEqual(rows.map((r) => r.length), [80, 21]);
  });
});

Deno.test("run_tests refuses a TALKJS_TEST_TIMEOUT_MS that is not a number of milliseconds", async () => {
  await withTestFile(`Deno.test("ok", () => {});\n`, async (file) => {
    const { code, stderr } = await runTests([file], {
      TALKJS_TEST_TIMEOUT_MS: "soon",
    });
    assert.equal(code, 2);
    assert.match(stderr, /TALKJS_TEST_TIMEOUT_MS must be a number .*"soon"/);
  });
});
