/**
 * Serves the TalkJS emulator on a loopback port, so curl, other languages and
 * anything that reads `TALKJS_BASE_URL` can use it: `deno task emulator
 * [--port 8787] [--app-id tEmulator] [--secret-key sk_test_emulator]
 * [--seed N] [--no-rate-limit] [--webhook-url URL]`. `--port 0` picks a free
 * port. `--webhook-url` sends TalkJS's webhook events, signed with the secret
 * key, to your endpoint (e.g. `http://127.0.0.1:3000/talkjs/events`), logging
 * each delivery. Environment: `PORT`, `EMULATOR_APP_ID`,
 * `EMULATOR_SECRET_KEY`, `EMULATOR_WEBHOOK_URL`. `POST
 * /_emulator/{appId}/simulate/read` and `…/simulate/notification` run
 * `emu.simulate` (a user reads, or is notified). `--help` says it all.
 *
 * It prints its key, so it never reads `TALKJS_SECRET_KEY` (the variable of a
 * real app, the demo's) and refuses a live key (`sk_live_…`) from anywhere.
 *
 * @module
 */
import { createEmulator } from "../testing.ts";

const RATE_LIMIT =
  "TalkJS's: a burst of 500, 100 more held, then 9 requests/s; beyond, 429";

const HELP = `Usage: deno task emulator [options]

Serves an in-memory TalkJS REST API on 127.0.0.1 (users, conversations,
participants, messages, files, batch), for curl, other languages, and
anything that reads TALKJS_BASE_URL: the demo, the examples, talkjs().

Options:
  --port N          the port, 0 for a free one (default 8787, or PORT)
  --app-id ID       the app ID in every path (default tEmulator, or EMULATOR_APP_ID)
  --secret-key KEY  a test key, used as a bearer token or to sign app tokens
                    (default sk_test_emulator, or EMULATOR_SECRET_KEY)
  --seed N          seeds message IDs: the same calls give the same IDs
                    on every run (default 20251125)
  --no-rate-limit   never answer 429
  --webhook-url URL send TalkJS's webhook events, signed with the secret key,
                    to URL (or EMULATOR_WEBHOOK_URL), logging each delivery
  -h, --help        this help

What users do in the chat UI and email, with the webhook events TalkJS
sends for it (emu.simulate over HTTP; the emulator's own routes, outside
/v1: the API's auth, no rate limit; a JSON body):
  POST /_emulator/{appId}/simulate/read
       {"conversationId": "c1", "userId": "bob"}  -> {"messageIds": [...]}
  POST /_emulator/{appId}/simulate/notification
       {"conversationId": "c1", "userId": "bob",
        "events": ["notification.triggered", ...], "url": "..."}
                                                  -> {"notificationId": "ntf_..."}

Rate limit, per app: TalkJS's. A burst of 500 requests, 100 more held in a
queue until capacity refills, then 9 requests/s; beyond that, a 429 with
Retry-After. Only authenticated requests for its own app ID count.

It never reads TALKJS_APP_ID or TALKJS_SECRET_KEY (a real app's), and refuses
a live key (sk_live_…): it prints its key. Data lives in memory until it stops.`;

/** One line on stderr and exit 2: a bad flag or value. */
function usage(message: string): never {
  // A live key typed into the wrong flag is not echoed back either.
  console.error(
    `${
      message.replace(/sk_live_\w*/g, "sk_live_…")
    } (see deno task emulator --help)`,
  );
  Deno.exit(2);
}

function parseArgs(args: string[]): {
  port: number;
  appId?: string;
  secretKey?: string;
  seed?: number;
  rateLimit: boolean;
  webhookUrl?: string;
} {
  const values: Record<string, string> = {};
  let rateLimit = true;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--help" || arg === "-h") {
      console.log(HELP);
      Deno.exit(0);
    }
    if (arg === "--no-rate-limit") {
      rateLimit = false;
      continue;
    }
    const m = /^--(port|app-id|secret-key|seed|webhook-url)(?:=(.*))?$/.exec(
      arg,
    );
    if (!m) usage(`Unknown argument: ${arg}`);
    const value = m[2] ?? args[++i];
    if (value === undefined) usage(`Missing value for --${m[1]}`);
    values[m[1]!] = value;
  }
  const env = (name: string): string | undefined =>
    Deno.env.get(name) || undefined;
  const rawPort = values.port ?? env("PORT") ?? "8787";
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65535) {
    usage(`Bad port: ${rawPort} is not a number from 0 to 65535`);
  }
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !/^-?\d+$/.test(values.seed!.trim())) {
    usage(`Bad seed: ${values.seed} is not an integer`);
  }
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
    ...(seed === undefined ? {} : { seed }),
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
  const { port, appId, secretKey, seed, rateLimit, webhookUrl } = parseArgs(
    Deno.args,
  );
  let emu: ReturnType<typeof createEmulator>;
  try {
    emu = createEmulator({
      ...(appId === undefined ? {} : { appId }),
      ...(secretKey === undefined ? {} : { secretKey }),
      ...(seed === undefined ? {} : { seed }),
      ...(rateLimit ? {} : { rateLimit: false }),
      ...(webhookUrl === undefined
        ? {}
        : { webhooks: { url: webhookUrl, fetch: sendLogged } }),
    });
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
  const serve = (options: Deno.ServeTcpOptions) => {
    try {
      return Deno.serve(options, emu.app.fetch);
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
      usage(
        `Port ${port} is in use: stop what listens there, or pick another with --port N (0 for a free one)`,
      );
    }
  };
  serve({
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
  simulate:   POST ${base}/_emulator/${emu.appId}/simulate/read
              POST ${base}/_emulator/${emu.appId}/simulate/notification
              (a user reads, or is notified: see --help)
  rate limit: ${rateLimit ? RATE_LIMIT : "none (--no-rate-limit)"}
  options:    deno task emulator --help

Point the demo, the examples or your own code at it:
  export TALKJS_APP_ID=${emu.appId} TALKJS_SECRET_KEY=${emu.secretKey} TALKJS_BASE_URL=${base}

Try:
  curl -X PUT ${base}/v1/${emu.appId}/users/alice \\
    -H "Authorization: Bearer ${emu.secretKey}" -H "Content-Type: application/json" \\
    -d '{"name":"Alice"}'
  curl ${base}/v1/${emu.appId}/users/alice -H "Authorization: Bearer ${emu.secretKey}"`);
    },
  });
}
