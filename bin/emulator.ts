/**
 * Serves the TalkJS emulator on a loopback port, so curl and other languages
 * can use it: `deno task emulator [--port 8787] [--app-id tEmulator]
 * [--secret-key sk_test_emulator] [--no-rate-limit] [--webhook-url URL]`.
 * `--port 0` picks a free port. `--webhook-url` sends TalkJS's webhook
 * events, signed with the secret key, to your endpoint (e.g.
 * `http://127.0.0.1:3000/talkjs/events`), logging each delivery. Environment:
 * `PORT`, `EMULATOR_APP_ID`, `EMULATOR_SECRET_KEY`, `EMULATOR_WEBHOOK_URL`.
 *
 * It prints its key, so it never reads `TALKJS_SECRET_KEY` (the variable of a
 * real app, the demo's) and refuses a live key (`sk_live_…`) from anywhere.
 *
 * @module
 */
import { createEmulator } from "../testing.ts";

function usage(message: string): never {
  // A live key typed into the wrong flag is not echoed back either.
  console.error(`${message.replace(/sk_live_\w*/g, "sk_live_…")}
Usage: deno task emulator [--port 8787] [--app-id ID] [--secret-key KEY] [--no-rate-limit] [--webhook-url URL]`);
  Deno.exit(2);
}

function parseArgs(args: string[]): {
  port: number;
  appId?: string;
  secretKey?: string;
  rateLimit: boolean;
  webhookUrl?: string;
} {
  const values: Record<string, string> = {};
  let rateLimit = true;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--no-rate-limit") {
      rateLimit = false;
      continue;
    }
    const m = /^--(port|app-id|secret-key|webhook-url)(?:=(.*))?$/.exec(arg);
    if (!m) usage(`Unknown argument: ${arg}`);
    const value = m[2] ?? args[++i];
    if (value === undefined) usage(`Missing value for --${m[1]}`);
    values[m[1]!] = value;
  }
  const env = (name: string): string | undefined =>
    Deno.env.get(name) || undefined;
  const rawPort = values.port ?? env("PORT") ?? "8787";
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65535) usage(`Bad port: ${rawPort}`);
  const appId = values["app-id"] ?? env("EMULATOR_APP_ID");
  const secretKey = values["secret-key"] ?? env("EMULATOR_SECRET_KEY");
  if (secretKey?.startsWith("sk_live_")) {
    // Not shown: it is a real app's key, and this program prints its key.
    usage(
      "The secret key is a live key (sk_live_…): the emulator prints its key, so give it a test key such as sk_test_emulator",
    );
  }
  const webhookUrl = values["webhook-url"] ?? env("EMULATOR_WEBHOOK_URL");
  if (webhookUrl !== undefined && !/^https?:\/\/[^/]/.test(webhookUrl)) {
    usage(`Bad webhook URL (an http:// or https:// URL): ${webhookUrl}`);
  }
  return {
    port,
    rateLimit,
    ...(appId === undefined ? {} : { appId }),
    ...(secretKey === undefined ? {} : { secretKey }),
    ...(webhookUrl === undefined ? {} : { webhookUrl }),
  };
}

/** Sends a webhook request with the global fetch and logs how it went. */
async function sendLogged(request: Request): Promise<Response> {
  const { id, type } = JSON.parse(await request.clone().text());
  try {
    const response = await fetch(request);
    console.log(`webhook ${type} ${id}: ${response.status}`);
    return response;
  } catch (error) {
    const why = request.signal.aborted ? "no answer within 5 s" : String(error);
    console.log(`webhook ${type} ${id}: failed (${why})`);
    throw error;
  }
}

if (import.meta.main) {
  const { port, appId, secretKey, rateLimit, webhookUrl } = parseArgs(
    Deno.args,
  );
  let emu: ReturnType<typeof createEmulator>;
  try {
    emu = createEmulator({
      ...(appId === undefined ? {} : { appId }),
      ...(secretKey === undefined ? {} : { secretKey }),
      ...(rateLimit ? {} : { rateLimit: false }),
      ...(webhookUrl === undefined
        ? {}
        : { webhooks: { url: webhookUrl, fetch: sendLogged } }),
    });
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
  Deno.serve({
    hostname: "127.0.0.1",
    port,
    onListen({ hostname, port }) {
      const base = `http://${hostname}:${port}`;
      console.log(`TalkJS emulator listening on ${base}
  app ID:     ${emu.appId}
  secret key: ${emu.secretKey}   (a test key: accepted as a bearer token, or sign app tokens with it)
  base URL:   ${base}   (createClient({ baseUrl: "${base}", appId, secretKey }))
  webhooks:   ${
        webhookUrl === undefined
          ? "off (--webhook-url URL sends TalkJS's events to your endpoint)"
          : `POST ${webhookUrl}, signed with the secret key`
      }

Try:
  curl -X PUT ${base}/v1/${emu.appId}/users/alice \\
    -H "Authorization: Bearer ${emu.secretKey}" -H "Content-Type: application/json" \\
    -d '{"name":"Alice"}'
  curl ${base}/v1/${emu.appId}/users/alice -H "Authorization: Bearer ${emu.secretKey}"`);
    },
  }, emu.app.fetch);
}
