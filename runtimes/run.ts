/**
 * Runtime proof, `deno task test:runtimes`: bundles the module with
 * `deno bundle` and runs one smoke scenario (`runtimes/smoke.mjs`: the client
 * against the emulator, `putMany`, `listAll`, retries, timeouts, the limiter,
 * user tokens, webhook verification) in Deno, Node, Bun and workerd; runs the
 * Bun import example under Bun; serves the Worker example in workerd and sends
 * it real requests (see `runtimes/workerd.mjs`). Prints a PASS/FAIL table and
 * exits 1 on any failure.
 *
 * Needs the npm registry on first run only: Bun comes through
 * `npx -y bun@1.4.5`, and miniflare (with workerd's binary, the npm package
 * `@cloudflare/workerd-linux-64`) is installed into `.tools/miniflare`.
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
const deno = Deno.execPath();
const BUN = ["npx", "-y", "bun@1.4.5"];

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

async function exec(
  cmd: string[],
  options: {
    env?: Record<string, string>;
    clearEnv?: string[];
    timeoutMs?: number;
  } = {},
): Promise<Ran> {
  const start = performance.now();
  const env: Record<string, string> = {
    ...Deno.env.toObject(),
    NO_COLOR: "1",
    ...options.env,
  };
  for (const name of options.clearEnv ?? []) delete env[name];
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd[0]!, {
      args: cmd.slice(1),
      cwd: root,
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    // E.g. node or npx missing: a failed row, not a crash.
    return { code: 127, stdout: "", stderr: `${cmd[0]}: ${error}`, ms: 0 };
  }
  const timer = setTimeout(
    () => child.kill("SIGKILL"),
    options.timeoutMs ?? 120_000,
  );
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const decoder = new TextDecoder();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
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
    return {
      runtime,
      target: "smoke",
      ok: result.ok,
      ms: ran.ms,
      checks: result.checks,
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

async function ensureMiniflare(): Promise<number> {
  const start = performance.now();
  try {
    await Deno.stat(miniflareEntry);
    return 0;
  } catch {
    await mustExec("Installing miniflare into .tools/miniflare", [
      "npm",
      "install",
      "--prefix",
      miniflareDir,
      "miniflare@4",
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

async function runWorkerd(): Promise<Row[]> {
  const emu = createEmulator();
  const arrivals: { at: number; method: string; path: string }[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      const { pathname } = new URL(req.url);
      if (pathname === "/_arrivals") return Response.json(arrivals);
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
  const installMs = await ensureMiniflare();
  if (installMs > 0) notes.push(`miniflare install: ${installMs} ms`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  Deno.exit(1);
}

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
