/**
 * `deno task test`: `deno test` with the dot reporter, its dots joined into
 * rows. Deno's dot reporter wraps at 80% of the terminal's width, and when its
 * output is not a terminal (a pipe, CI's log) that width is 0: every dot takes
 * a line of its own, some 600 lines before the summary. This passes every
 * line through as it comes except those dots, which it writes 80 to a row,
 * and exits with `deno test`'s code. Arguments are passed on to `deno test`.
 *
 * A watchdog bounds the run: a test that hangs would otherwise hold CI until
 * its own limit, with nothing in the log. After `TALKJS_TEST_TIMEOUT_MS`
 * (default 20 minutes; the suite takes a few) it stops `deno test`, says so,
 * and exits with 1.
 *
 * ```sh
 * npx -y deno@2.9.6 task test                        # the whole suite
 * npx -y deno@2.9.6 task test tests/limiter_test.ts  # some files
 * ```
 *
 * @module
 */

const PERMISSIONS = [
  "--allow-net=127.0.0.1,localhost",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--unstable-kv",
];
const ROW = 80;
const DEFAULT_TIMEOUT_MS = 20 * 60_000;
// A test's dot: `.` passed, `!` failed, `,` ignored, in colour escapes (ESC).
// deno-lint-ignore no-control-regex
const DOT = /^(?:\x1b\[[0-9;]*m)*[.!,](?:\x1b\[[0-9;]*m)*$/;

/** Joins the dots of `lines` into rows of ROW; every other line as it is. */
async function* joinDots(
  lines: AsyncIterable<string>,
): AsyncGenerator<string, void, undefined> {
  let inRow = 0;
  for await (const line of lines) {
    if (DOT.test(line)) {
      if (inRow === ROW) {
        yield "\n";
        inRow = 0;
      }
      inRow++;
      yield line;
      continue;
    }
    if (inRow > 0) yield "\n";
    inRow = 0;
    yield line + "\n";
  }
  if (inRow > 0) yield "\n";
}

/** The lines of a byte stream, without their line ends. */
async function* linesOf(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string, void, undefined> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const lines = (pending + chunk).split("\n");
    pending = lines.pop()!;
    for (const line of lines) yield line.replace(/\r$/, "");
  }
  if (pending) yield pending;
}

// Only when run: `deno test` imports every file it finds, and a runner that
// started itself again would never end.
if (import.meta.main) {
  const timeoutMs = Number(
    Deno.env.get("TALKJS_TEST_TIMEOUT_MS") ?? DEFAULT_TIMEOUT_MS,
  );
  if (!(timeoutMs > 0 && timeoutMs <= 0x7fffffff)) {
    console.error(
      `TALKJS_TEST_TIMEOUT_MS must be a number of milliseconds from 1 to 2147483647: it is ${
        JSON.stringify(Deno.env.get("TALKJS_TEST_TIMEOUT_MS"))
      }`,
    );
    Deno.exit(2);
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "test",
      "--quiet",
      "--reporter=dot",
      ...PERMISSIONS,
      "--doc",
      ...Deno.args,
    ],
    stdin: "inherit",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  // Ends the run itself: a process the hung test started may hold the
  // output open after deno test is gone.
  const watchdog = setTimeout(() => {
    child.kill("SIGKILL");
    console.error(
      `\ndeno test did not finish within ${timeoutMs} ms and was stopped: a test hangs (run the file with --reporter=pretty to see which)`,
    );
    Deno.exit(1);
  }, timeoutMs);
  const out = Deno.stdout.writable.getWriter();
  const encoder = new TextEncoder();
  for await (const text of joinDots(linesOf(child.stdout))) {
    await out.write(encoder.encode(text));
  }
  await out.close();
  const { code } = await child.status;
  clearTimeout(watchdog);
  Deno.exit(code);
}
