/**
 * The parity check: `deno task parity` runs one scripted scenario covering
 * every endpoint against your TalkJS **test** app and against the emulator,
 * and prints every difference in status code, answer shape (field names and
 * types, not values) and the order of lists. Its output is how the
 * emulator's remaining differences from TalkJS get found.
 *
 * ```sh
 * TALKJS_APP_ID=… TALKJS_SECRET_KEY=sk_test_… npx -y deno@2.9.6 task parity
 * ```
 *
 * The scenario's records carry a unique `parity-…` prefix; conversations are
 * deleted afterwards and users (which the REST API cannot delete) emptied and
 * renamed `[deleted]`. A `sk_live_` key is refused: run it on a test app.
 * `TALKJS_BASE_URL` points it elsewhere than `https://api.talkjs.com`.
 * Exit code: 0 without differences, 1 with, 2 for bad configuration.
 *
 * @module
 */
import { createEmulator } from "../testing.ts";
import {
  compareRuns,
  PARITY_API_VERSION,
  runScenario,
  uniquePrefix,
} from "./_parity.ts";

const USAGE =
  `Usage: TALKJS_APP_ID=… TALKJS_SECRET_KEY=sk_test_… deno task parity [--verbose] [--api-version ${PARITY_API_VERSION}]
Runs one scenario against TalkJS (or TALKJS_BASE_URL) and the emulator, and
prints every difference in status code, answer shape and list order. Both
sides run under one API version (TalkJS-REST-Version; default ${PARITY_API_VERSION}),
some steps under older ones.`;

function exitWith(message: string, code: number): never {
  console.error(message);
  Deno.exit(code);
}

if (import.meta.main) {
  const args = [...Deno.args];
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const verbose = args.includes("--verbose");
  let apiVersion = PARITY_API_VERSION;
  const unknown: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const m = /^--api-version(?:=(.*))?$/.exec(arg);
    if (m) apiVersion = m[1] ?? args[++i] ?? "";
    else if (arg !== "--verbose") unknown.push(arg);
  }
  if (unknown.length) exitWith(`Unknown argument: ${unknown[0]}\n${USAGE}`, 2);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(apiVersion)) {
    exitWith(`Bad --api-version: ${apiVersion} (a date like 2021-02-09)`, 2);
  }
  const appId = Deno.env.get("TALKJS_APP_ID");
  const secretKey = Deno.env.get("TALKJS_SECRET_KEY");
  const baseUrl = Deno.env.get("TALKJS_BASE_URL") || "https://api.talkjs.com";
  if (!appId || !secretKey) {
    exitWith(
      `TALKJS_APP_ID and TALKJS_SECRET_KEY must be set (a test app).\n${USAGE}`,
      2,
    );
  }
  if (secretKey.startsWith("sk_live_")) {
    exitWith(
      "Refusing a sk_live_ key: the parity check writes records. Use your test app's sk_test_ key.",
      2,
    );
  }
  const prefix = uniquePrefix();
  const log = verbose ? (line: string) => console.error(line) : undefined;
  console.log(
    `Parity check, records prefixed ${prefix}, API version ${apiVersion}`,
  );
  const real = await runScenario(
    { name: "TalkJS", appId, secretKey, baseUrl },
    prefix,
    log,
    apiVersion,
  );
  const emu = createEmulator({ appId, secretKey });
  const emulated = await runScenario(
    {
      name: "emulator",
      appId,
      secretKey,
      baseUrl: emu.baseUrl,
      fetch: emu.fetch,
    },
    prefix,
    log,
    apiVersion,
  );
  const differences = compareRuns(real, emulated, ["TalkJS", "emulator"]);
  console.log(
    `${real.length} steps against ${baseUrl}, ${emulated.length} against the emulator.`,
  );
  if (!differences.length) {
    console.log("No differences.");
    Deno.exit(0);
  }
  console.log(`${differences.length} differences:`);
  for (const d of differences) {
    console.log(`- ${d.step} (${d.endpoint}): ${d.what}`);
  }
  Deno.exit(1);
}
