/**
 * Runtime proof, `deno task test:runtimes`: bundles the module with
 * `deno bundle` and runs one smoke scenario (`runtimes/smoke.mjs`: the client
 * against the emulator, `putMany`, `listAll`, retries, timeouts, the limiter,
 * user tokens, webhook verification) in Deno, Node, Bun and workerd; runs the
 * Bun import example under Bun; serves the Worker example in workerd and sends
 * it real requests, and the emulator's webhook events (see
 * `runtimes/workerd.mjs`); builds the Worker example the
 * documented way, `wrangler deploy --dry-run`. Prints a PASS/FAIL table and
 * exits 1 on any failure, including a runtime that printed its result and
 * then exited non-zero.
 *
 * Needs the npm registry on first run only: Bun comes through
 * `npx -y bun@1.4.5`, miniflare (with workerd's binary, the npm package
 * `@cloudflare/workerd-linux-64`) is installed into `.tools/miniflare`, and
 * wrangler into `.tools/wrangler`.
 * Everything else stays on 127.0.0.1.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { createEmulator } from "../testing.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = `${root}.tools/dist`;
const miniflareDir = `${root}.tools/miniflare`;
const miniflareEntry =
  `${miniflareDir}/node_modules/miniflare/dist/src/index.js`;
const wranglerDir = `${root}.tools/wrangler`;
const wranglerBin = `${wranglerDir}/node_modules/wrangler/bin/wrangler.js`;
const deno = Deno.execPath();
const BUN_NPX = ["npx", "-y", "bun@1.4.5"];
// Bun's own binary once found (see bunCommand), so that a timeout's kill
// reaches Bun itself and not only the npx in front of it.
let BUN = BUN_NPX;

async function bunCommand(): Promise<string[]> {
  const ran = await exec([...BUN_NPX, "-e", "console.log(process.execPath)"]);
  const path = ran.stdout.trim().split("\n").at(-1);
  return ran.code === 0 && path ? [path] : BUN_NPX;
}

interface Check {
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
}

interface Row {
  runtime: string;
  target: string;
  ok: boolean;
  ms: number;
  checks: Check[];
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Reads a pipe to the end, or until cancelled. */
function drain(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  const done = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        chunks.push(value);
      }
    } catch {
      // Cancelled.
    }
  })();
  return {
    done,
    cancel: () => reader.cancel().catch(() => {}),
    text: () => new TextDecoder().decode(concat(chunks)),
  };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) out.set(c, (at += c.length) - c.length);
  return out;
}

async function exec(
  cmd: string[],
  options: {
    env?: Record<string, string>;
    clearEnv?: string[];
    timeoutMs?: number;
    cwd?: string;
  } = {},
): Promise<Ran> {
  const start = performance.now();
  const env: Record<string, string> = {
    ...Deno.env.toObject(),
    NO_COLOR: "1",
    ...options.env,
  };
  for (const name of options.clearEnv ?? []) delete env[name];
  const spawn = (argv: string[]) =>
    new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      cwd: options.cwd ?? root,
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  let child: Deno.ChildProcess;
  let group = false;
  try {
    // In a session of its own where setsid exists (Linux), so that a timeout
    // kills what it started too (workerd under node, bun under npx).
    child = spawn(["setsid", ...cmd]);
    group = true;
  } catch {
    try {
      child = spawn(cmd);
    } catch (error) {
      // E.g. node or npx missing: a failed row, not a crash.
      return { code: 127, stdout: "", stderr: `${cmd[0]}: ${error}`, ms: 0 };
    }
  }
  const stdout = drain(child.stdout);
  const stderr = drain(child.stderr);
  const timeoutMs = options.timeoutMs ?? 120_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      if (group) Deno.kill(-child.pid, "SIGKILL");
      else child.kill("SIGKILL");
    } catch {
      // It exited meanwhile.
    }
  }, timeoutMs);
  const { code } = await child.status;
  clearTimeout(timer);
  // A process it started (workerd under node) may still hold the pipes: read
  // what is there, then stop waiting.
  let grace: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all([stdout.done, stderr.done]),
    new Promise((resolve) => grace = setTimeout(resolve, 2000)),
  ]);
  clearTimeout(grace);
  await Promise.all([stdout.cancel(), stderr.cancel()]);
  return {
    code: timedOut ? 124 : code,
    stdout: stdout.text(),
    stderr: stderr.text() +
      (timedOut ? `\nkilled after ${timeoutMs} ms` : ""),
    ms: Math.round(performance.now() - start),
  };
}

async function mustExec(
  what: string,
  cmd: string[],
  timeoutMs?: number,
): Promise<Ran> {
  const ran = await exec(cmd, timeoutMs ? { timeoutMs } : {});
  if (ran.code !== 0) {
    throw new Error(
      `${what} failed (exit ${ran.code}):\n${ran.stdout}${ran.stderr}`,
    );
  }
  return ran;
}

function failedRow(
  runtime: string,
  target: string,
  ran: Ran | undefined,
  error?: unknown,
): Row {
  const detail = error !== undefined
    ? String(error instanceof Error ? error.message : error)
    : `exit ${ran?.code}: ${
      (ran?.stderr || ran?.stdout || "").trim().slice(-1500)
    }`;
  return {
    runtime,
    target,
    ok: false,
    ms: ran?.ms ?? 0,
    checks: [{ name: "run", ok: false, ms: ran?.ms ?? 0, detail }],
  };
}

/** The result line a smoke run printed, as a row. */
function smokeRow(runtime: string, ran: Ran): Row {
  const line = ran.stdout.trim().split("\n").findLast((l) => l.startsWith("{"));
  if (ran.code !== 0 && line === undefined) {
    return failedRow(runtime, "smoke", ran);
  }
  try {
    const result = JSON.parse(line!) as { ok: boolean; checks: Check[] };
    // A run that printed its result and then failed (an unhandled rejection
    // after the steps, say) fails too.
    const exited: Check[] = ran.code === 0 ? [] : [{
      name: "exit code",
      ok: false,
      ms: 0,
      detail: `exit ${ran.code} after the result line: ${
        ran.stderr.trim().slice(-800)
      }`,
    }];
    return {
      runtime,
      target: "smoke",
      ok: result.ok && ran.code === 0,
      ms: ran.ms,
      checks: [...result.checks, ...exited],
    };
  } catch (error) {
    return failedRow(runtime, "smoke", ran, error);
  }
}

async function versionOf(cmd: string[]): Promise<string> {
  const ran = await exec(cmd);
  return ran.code === 0
    ? ran.stdout.trim().split("\n")[0]!.replace(/^v/, "")
    : "?";
}

// ---------------------------------------------------------------- build
async function build(): Promise<number> {
  const start = performance.now();
  await Deno.remove(dist, { recursive: true }).catch(() => {});
  const bundle = [deno, "bundle", "--quiet", "--platform", "browser"];
  // The three entry points in one build, so that they share one copy of
  // the code (one TalkJsError class) through common chunks.
  await mustExec("Bundling mod.ts, testing.ts and hono.ts", [
    ...bundle,
    "--code-splitting",
    "--outdir",
    dist,
    "mod.ts",
    "testing.ts",
    "hono.ts",
  ]);
  await mustExec("Bundling the Worker example", [
    ...bundle,
    "-o",
    `${dist}/worker.js`,
    "examples/worker/src/index.ts",
  ]);
  await mustExec("Bundling the Bun example", [
    ...bundle,
    "-o",
    `${dist}/bun_import.js`,
    "examples/bun_import.ts",
  ]);
  // Node reads .js as CommonJS unless told otherwise.
  await Deno.writeTextFile(`${dist}/package.json`, '{ "type": "module" }\n');
  return Math.round(performance.now() - start);
}

/** Installs `pkg` into `dir` unless `entry` is there already; the ms it took. */
async function ensureInstalled(
  pkg: string,
  dir: string,
  entry: string,
): Promise<number> {
  const start = performance.now();
  try {
    await Deno.stat(entry);
    return 0;
  } catch {
    await mustExec(`Installing ${pkg} into ${dir.slice(root.length)}`, [
      "npm",
      "install",
      "--prefix",
      dir,
      pkg,
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
    ], 600_000);
    return Math.round(performance.now() - start);
  }
}

// ---------------------------------------------------------------- runtimes
async function runBunExample(): Promise<Row> {
  // Without credentials, the example imports into its in-process emulator.
  const ran = await exec([...BUN, `${dist}/bun_import.js`], {
    clearEnv: ["TALKJS_APP_ID", "TALKJS_SECRET_KEY"],
  });
  const out = ran.stdout.trim();
  const progress =
    out.split("\n").filter((l) => /^\s+\d+\/1000 users/.test(l)).length;
  const done =
    /Imported 1000 users in 10 requests, \d+ ms \(the emulator holds 1000\)/
      .test(out);
  const ok = ran.code === 0 && progress === 10 && done;
  return {
    runtime: "Bun",
    target: "examples/bun_import.ts",
    ok,
    ms: ran.ms,
    checks: [{
      name: "bulk import with putMany + onProgress",
      ok,
      ms: ran.ms,
      detail: ok
        ? `${progress} progress lines; ${out.split("\n").at(-1)}`
        : `exit ${ran.code}: ${out.slice(-800)}${ran.stderr.slice(-800)}`,
    }],
  };
}

/**
 * Builds the Worker example the documented way, `wrangler deploy --dry-run`
 * in examples/worker (its [build] bundles with Deno), and checks what
 * wrangler would upload.
 */
async function runWranglerBuild(version: string): Promise<Row> {
  const out = `${root}.tools/wrangler-out`;
  await Deno.remove(out, { recursive: true }).catch(() => {});
  const ran = await exec(
    ["node", wranglerBin, "deploy", "--dry-run", "--outdir", out],
    {
      cwd: `${root}examples/worker`,
      env: { WRANGLER_SEND_METRICS: "false", CI: "true" },
      timeoutMs: 300_000,
    },
  );
  const text = `${ran.stdout}\n${ran.stderr}`;
  let script = "";
  try {
    script = await Deno.readTextFile(`${out}/index.js`);
  } catch {
    // Checked below.
  }
  const checks: Check[] = [
    ["build exits 0", ran.code === 0, `exit ${ran.code}`],
    [
      "binds the TalkJsLimiter Durable Object",
      /env\.LIMITER \(TalkJsLimiter\)\s+Durable Object/.test(text),
      "LIMITER (TalkJsLimiter) in the bindings wrangler lists",
    ],
    [
      "uploads a self-contained module",
      /\bclass TalkJsLimiter\b|\bTalkJsLimiter = class\b/.test(script) &&
      !/^\s*import\s[^;]*from\s*["'](hono|jose)/m.test(script),
      `${
        (script.length / 1024).toFixed(1)
      } KB, TalkJsLimiter defined, no hono/jose import left`,
    ],
  ].map(([name, ok, detail]) => ({
    name: name as string,
    ok: ok as boolean,
    ms: ran.ms,
    detail: ok ? detail as string : `${detail}: ${text.trim().slice(-1200)}`,
  }));
  return {
    runtime: `wrangler ${version}`,
    target: "examples/worker (wrangler deploy --dry-run)",
    ok: checks.every((c) => c.ok),
    ms: ran.ms,
    checks,
  };
}

async function runWorkerd(): Promise<Row[]> {
  // The emulator sends its webhook events to the Worker in workerd once
  // workerd.mjs says where (POST /_webhook_target: its relay into the
  // Worker's route); until then they are answered 200 here, unsent.
  let webhookTarget: string | undefined;
  const emu = createEmulator({
    webhooks: {
      url: "http://worker/talkjs/events",
      fetch: (request) =>
        webhookTarget === undefined
          ? new Response(null, { status: 200 })
          : fetch(new Request(webhookTarget, request)),
    },
  });
  const arrivals: { at: number; method: string; path: string }[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const { pathname } = new URL(req.url);
      if (pathname === "/_arrivals") return Response.json(arrivals);
      if (pathname === "/_webhook_target" && req.method === "POST") {
        webhookTarget = await req.text();
        return new Response(null, { status: 204 });
      }
      if (pathname === "/_webhooks") {
        await emu.webhooks.flush();
        return Response.json(emu.webhooks.deliveries);
      }
      arrivals.push({ at: Date.now(), method: req.method, path: pathname });
      return emu.app.fetch(req);
    },
  );
  try {
    const ran = await exec(["node", "runtimes/workerd.mjs"], {
      env: {
        MINIFLARE: miniflareEntry,
        EMULATOR_URL: `http://127.0.0.1:${server.addr.port}`,
        EMULATOR_APP_ID: emu.appId,
        EMULATOR_SECRET_KEY: emu.secretKey,
      },
    });
    const results = ran.stdout.split("\n").filter((l) => l.startsWith("{"))
      .map((l) =>
        JSON.parse(l) as {
          target: string;
          ok: boolean;
          ms: number;
          checks: Check[];
        }
      );
    const rows: Row[] = results.map((r) => ({
      runtime: "workerd",
      target: r.target === "example" ? "examples/worker (miniflare)" : r.target,
      ok: r.ok,
      ms: r.ms,
      checks: r.checks,
    }));
    if (ran.code !== 0 || rows.length !== 3) {
      rows.push(failedRow("workerd", "runtimes/workerd.mjs", ran));
    }
    return rows;
  } finally {
    await server.shutdown();
  }
}

// ---------------------------------------------------------------- main
const started = performance.now();
const rows: Row[] = [];
const notes: string[] = [];

try {
  notes.push(`bundle: ${await build()} ms`);
  const installMs = await ensureInstalled(
    "miniflare@4",
    miniflareDir,
    miniflareEntry,
  );
  if (installMs > 0) notes.push(`miniflare install: ${installMs} ms`);
  const wranglerMs = await ensureInstalled(
    "wrangler@4.86.0",
    wranglerDir,
    wranglerBin,
  );
  if (wranglerMs > 0) notes.push(`wrangler install: ${wranglerMs} ms`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  Deno.exit(1);
}

BUN = await bunCommand();
const versions = {
  deno: Deno.version.deno,
  node: await versionOf(["node", "--version"]),
  bun: await versionOf([...BUN, "--version"]),
  workerd: await versionOf([
    `${miniflareDir}/node_modules/@cloudflare/workerd-linux-64/bin/workerd`,
    "--version",
  ]),
};

rows.push(
  smokeRow(
    `Deno ${versions.deno}`,
    await exec([deno, "run", "-A", "runtimes/cli.mjs"]),
  ),
);
rows.push(
  smokeRow(`Node ${versions.node}`, await exec(["node", "runtimes/cli.mjs"])),
);
rows.push(
  smokeRow(`Bun ${versions.bun}`, await exec([...BUN, "runtimes/cli.mjs"])),
);
rows.push({ ...await runBunExample(), runtime: `Bun ${versions.bun}` });
for (const row of await runWorkerd()) {
  rows.push({ ...row, runtime: versions.workerd });
}
rows.push(
  await runWranglerBuild(await versionOf(["node", wranglerBin, "--version"])),
);

const width = (pick: (r: Row) => string) =>
  Math.max(...rows.map((r) => pick(r).length));
const w1 = width((r) => r.runtime);
const w2 = width((r) => r.target);
console.log(
  `\n${"runtime".padEnd(w1)}  ${"target".padEnd(w2)}  checks  time      result`,
);
for (const r of rows) {
  const passed = r.checks.filter((c) => c.ok).length;
  console.log(
    `${r.runtime.padEnd(w1)}  ${r.target.padEnd(w2)}  ${
      `${passed}/${r.checks.length}`.padEnd(6)
    }  ${`${r.ms} ms`.padEnd(8)}  ${r.ok ? "PASS" : "FAIL"}`,
  );
  for (const c of r.checks) {
    console.log(
      `    ${c.ok ? "ok  " : "FAIL"} ${c.name} (${c.ms} ms): ${c.detail}`,
    );
  }
}
const ok = rows.every((r) => r.ok);
console.log(
  `\n${ok ? "PASS" : "FAIL"}: ${
    rows.filter((r) => r.ok).length
  }/${rows.length} targets in ${Math.round(performance.now() - started)} ms (${
    notes.join(", ")
  })`,
);
Deno.exit(ok ? 0 : 1);
