/**
 * The workerd half of `deno task test:runtimes`, run by Node because
 * miniflare is a Node package: starts workerd (miniflare) with
 *
 * - `smoke`: `runtimes/workerd_smoke.mjs`, the smoke scenario over the bundle;
 * - `example` and `example-2`: the bundled Worker example
 *   (`.tools/dist/worker.js`) twice, as two isolates of one Worker: separate
 *   memory, one `TalkJsLimiter` Durable Object (defined by `example`);
 *
 * sends the example real requests, checking answers with `node:crypto`
 * (independently of the module), and prints one JSON line per target:
 * `{ target, ok, checks: [{ name, ok, ms, detail }] }`.
 *
 * Environment: `MINIFLARE` (path of miniflare's entry), `EMULATOR_URL` (the
 * emulator served by the driver on 127.0.0.1, which also answers
 * `GET /_arrivals`, `GET /_webhooks` (its webhook deliveries, once sent) and
 * `POST /_webhook_target` (where to send them: a relay here into the
 * Worker's route)), `EMULATOR_APP_ID`, `EMULATOR_SECRET_KEY`.
 *
 * @module
 */
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { runSteps } from "./smoke.mjs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import process from "node:process";

const root = fileURLToPath(new URL("..", import.meta.url));
const { Miniflare } = await import(process.env.MINIFLARE);
const emulatorUrl = process.env.EMULATOR_URL;
const appId = process.env.EMULATOR_APP_ID;
const secretKey = process.env.EMULATOR_SECRET_KEY;

// The Worker runs with what wrangler.toml says, so the two cannot drift apart.
const toml = await readFile(`${root}examples/worker/wrangler.toml`, "utf8");
const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)[1];
const binding =
  /\[\[durable_objects\.bindings\]\]\s*name\s*=\s*"(\w+)"\s*class_name\s*=\s*"(\w+)"/
    .exec(toml);
const [, doBinding, doClass] = binding;

// The limiter's budget is shrunk to 2 at once, then 10/s, so that sharing
// shows in arrival times within a second.
const BURST = 2;
const PER_SECOND = 10;
const exampleBindings = {
  TALKJS_APP_ID: appId,
  TALKJS_SECRET_KEY: secretKey,
  TALKJS_BASE_URL: emulatorUrl,
  LIMITER_BURST: String(BURST),
  LIMITER_PER_SECOND: String(PER_SECOND),
};

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function steps(target, scenario) {
  const begin = Date.now();
  const { ok, checks } = await runSteps(scenario);
  return { target, ok, ms: Date.now() - begin, checks };
}

// The bundles are ES modules; miniflare would take a .js file for CommonJS.
const modulesRules = [{ type: "ESModule", include: ["**/*.js", "**/*.mjs"] }];

const startedAt = Date.now();
const mf = new Miniflare({
  workers: [
    {
      name: "smoke",
      modules: true,
      modulesRules,
      scriptPath: `${root}runtimes/workerd_smoke.mjs`,
      modulesRoot: root,
      compatibilityDate,
    },
    {
      name: "example",
      modules: true,
      modulesRules,
      scriptPath: `${root}.tools/dist/worker.js`,
      compatibilityDate,
      bindings: exampleBindings,
      durableObjects: { [doBinding]: { className: doClass, useSQLite: true } },
    },
    {
      name: "example-2",
      modules: true,
      modulesRules,
      scriptPath: `${root}.tools/dist/worker.js`,
      compatibilityDate,
      bindings: exampleBindings,
      durableObjects: {
        [doBinding]: { className: doClass, scriptName: "example" },
      },
    },
  ],
});

try {
  await mf.ready;
  const startupMs = Date.now() - startedAt;
  const smokeWorker = await mf.getWorker("smoke");
  const smokeStart = Date.now();
  const smoke = await (await smokeWorker.fetch("http://smoke/")).json();
  console.log(
    JSON.stringify({
      target: "smoke",
      ...smoke,
      ms: Date.now() - smokeStart,
      startupMs,
    }),
  );

  const shared = await steps("shared limiter", {
    async "one limiter, two concurrent requests"() {
      // The Worker's limiter: burst 1, then 20/s (one call per 50 ms). Two
      // requests make three calls each through it: six calls, five gaps.
      const answers = await Promise.all([1, 2].map(async () => {
        const res = await smokeWorker.fetch("http://smoke/shared-limiter");
        const text = await res.text();
        check(
          res.status === 200,
          `status ${res.status}: ${text.slice(0, 300)}`,
        );
        return JSON.parse(text);
      }));
      const times = answers.flat().sort((x, y) => x - y);
      check(times.length === 6, `calls: ${JSON.stringify(answers)}`);
      const gaps = times.slice(1).map((t, i) => t - times[i]);
      const span = times[5] - times[0];
      // One budget: call k runs no earlier than k slots (50 ms each) after
      // the first; a late wake-up only delays it. Two limiters (one per
      // request) would run the calls in pairs.
      const early = times.findIndex((t, k) => t - times[0] < k * 50 - 10);
      check(
        early === -1,
        `call ${early} ran ${
          times[early] - times[0]
        } ms after the first; gaps ${gaps.join(", ")} ms`,
      );
      return `6 calls from 2 concurrent requests, each ≥ k × 50 ms after the first: ${span} ms first to last, gaps ${
        gaps.join(", ")
      } ms`;
    },
  });
  console.log(JSON.stringify(shared));

  const a = await mf.getWorker("example");
  const b = await mf.getWorker("example-2");
  const result = await steps("example", {
    async "GET /talkjs/token (talkjsUserToken)"() {
      const res = await a.fetch("http://worker/talkjs/token", {
        headers: { "x-user-id": "alice" },
      });
      const answer = await res.text();
      check(res.status === 200, `status ${res.status}: ${answer}`);
      check(
        res.headers.get("cache-control") === "no-store",
        "the token is cacheable",
      );
      const { token } = JSON.parse(answer);
      const [header, payload, signature] = token.split(".");
      const expected = createHmac("sha256", secretKey).update(
        `${header}.${payload}`,
      ).digest(
        "base64url",
      );
      check(
        signature === expected,
        "the token's HS256 signature does not verify",
      );
      const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
      check(
        claims.sub === "alice" && claims.iss === appId &&
          claims.tokenType === "user",
        token,
      );
      const anonymous = await a.fetch("http://worker/talkjs/token");
      await anonymous.arrayBuffer();
      check(anonymous.status === 401, `without a session: ${anonymous.status}`);
      return "200 + HS256 token for alice (checked with node:crypto); 401 without a session";
    },

    async "POST /talkjs/events (talkjsWebhook)"() {
      const body = JSON.stringify({
        type: "message.sent",
        data: {
          conversation: { id: "support_alice" },
          message: { id: "m1", text: "Hi", conversationId: "support_alice" },
        },
      });
      const timestamp = String(Date.now());
      const signature = createHmac("sha256", secretKey).update(
        `${timestamp}.${body}`,
      ).digest("hex")
        .toUpperCase();
      const headers = {
        "x-talkjs-timestamp": timestamp,
        "x-talkjs-signature": signature,
      };
      const res = await a.fetch("http://worker/talkjs/events", {
        method: "POST",
        body,
        headers,
      });
      const answer = await res.json();
      check(
        res.status === 200 && answer.received === "message.sent",
        JSON.stringify(answer),
      );
      const forged = await a.fetch("http://worker/talkjs/events", {
        method: "POST",
        body: body.replace("Hi", "Hello"),
        headers,
      });
      const refusal = await forged.json();
      check(
        forged.status === 401 && refusal.reason === "bad_signature",
        JSON.stringify(refusal),
      );
      return "signed with node:crypto: 200; tampered body: 401 bad_signature";
    },

    async "POST /api/support (talkjs, c.var.talkjs)"() {
      const res = await a.fetch("http://worker/api/support", {
        method: "POST",
        headers: { "x-user-id": "carol", "content-type": "application/json" },
        body: JSON.stringify({ name: "Carol", text: "My order is late" }),
      });
      const answer = await res.json();
      check(
        res.status === 200,
        `status ${res.status}: ${JSON.stringify(answer)}`,
      );
      const stored = await fetch(
        `${emulatorUrl}/v1/${appId}/conversations/${answer.conversationId}/messages`,
        { headers: { authorization: `Bearer ${secretKey}` } },
      ).then((r) => r.json());
      check(
        stored.data?.[0]?.text === "My order is late",
        JSON.stringify(stored),
      );
      return "3 TalkJS requests from workerd to the emulator on 127.0.0.1; message stored";
    },

    async "POST /talkjs/events from the emulator's webhooks"() {
      // A relay on 127.0.0.1 into the Worker's route, recording what passes.
      const relayed = [];
      const relay = createServer(async (req, res) => {
        const chunks = [];
        for await (const chunk of req) chunks.push(chunk);
        const body = Buffer.concat(chunks).toString();
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(([name]) =>
            name.startsWith("x-talkjs-") || name === "content-type"
          ),
        );
        const answer = await a.fetch("http://worker/talkjs/events", {
          method: "POST",
          headers,
          body,
        });
        const text = await answer.text();
        relayed.push({ body, headers, status: answer.status, text });
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(text);
      });
      await new Promise((resolve) => relay.listen(0, "127.0.0.1", resolve));
      try {
        const target = `http://127.0.0.1:${relay.address().port}/`;
        const set = await fetch(`${emulatorUrl}/_webhook_target`, {
          method: "POST",
          body: target,
        });
        check(set.status === 204, `setting the target: ${set.status}`);
        const res = await a.fetch("http://worker/api/support", {
          method: "POST",
          headers: { "x-user-id": "erin", "content-type": "application/json" },
          body: JSON.stringify({ name: "Erin", text: "Any news?" }),
        });
        const answer = await res.text();
        check(res.status === 200, `status ${res.status}: ${answer}`);
        const deliveries = await fetch(`${emulatorUrl}/_webhooks`).then((r) =>
          r.json()
        );
        const mine = deliveries.filter((d) =>
          d.event.data.user?.id === "erin" ||
          d.event.data.conversation?.id === "support_erin"
        ).map((d) => `${d.type} ${d.state} ${d.status} ${d.attempts}`);
        check(
          mine.join(", ") ===
            "user.created delivered 200 1, message.sent delivered 200 1",
          JSON.stringify(mine),
        );
        // Signed as TalkJS documents it, checked with node:crypto; each
        // verified by the Worker's talkjsWebhook() and answered.
        const erin = relayed.filter((r) => r.body.includes("erin"));
        check(erin.length === 2, `${erin.length} events relayed`);
        for (const { body, headers, status, text } of erin) {
          const timestamp = headers["x-talkjs-timestamp"];
          const expected = createHmac("sha256", secretKey)
            .update(`${timestamp}.${body}`).digest("hex").toUpperCase();
          check(
            headers["x-talkjs-signature"] === expected,
            `signature of ${body.slice(0, 80)}`,
          );
          const { type } = JSON.parse(body);
          check(
            status === 200 && JSON.parse(text).received === type,
            `${status} ${text}`,
          );
        }
        return "user.created and message.sent from /api/support: sent by the emulator, signature checked with node:crypto, 200 from talkjsWebhook() in workerd";
      } finally {
        await new Promise((resolve) => relay.close(resolve));
      }
    },

    async "DO-backed limiter: one budget for both isolates"() {
      // Let the budget refill after the previous step.
      await new Promise((resolve) =>
        setTimeout(resolve, 3 * 1000 / PER_SECOND + 200)
      );
      const send = (worker, user) =>
        worker.fetch("http://worker/api/support", {
          method: "POST",
          headers: { "x-user-id": user, "content-type": "application/json" },
          body: JSON.stringify({ name: user, text: "Hello" }),
        }).then(async (res) => `${res.status} ${await res.text()}`);
      // Two concurrent requests in one isolate, one in the other: 9 TalkJS requests.
      const answers = await Promise.all([
        send(a, "budget-a1"),
        send(a, "budget-a2"),
        send(b, "budget-b1"),
      ]);
      check(answers.every((s) => s.startsWith("200 ")), answers.join(" | "));
      const arrivals = (await fetch(`${emulatorUrl}/_arrivals`).then((r) =>
        r.json()
      ))
        .filter((x) => x.path.includes("budget-"))
        .map((x) => x.at)
        .sort((x, y) => x - y);
      check(
        arrivals.length === 9,
        `the emulator saw ${arrivals.length} requests`,
      );
      const interval = 1000 / PER_SECOND;
      const offsets = arrivals.map((at) => at - arrivals[0]);
      // Shared: BURST at once, then one per interval across both isolates.
      // Separate budgets would let 2 + 2 go out at once. Half an interval of
      // slack absorbs the loopback's jitter.
      offsets.forEach((offset, i) => {
        const due = Math.max(0, i - (BURST - 1)) * interval;
        check(
          offset >= due - interval / 2,
          `request ${i + 1} arrived at +${offset} ms, due at +${due} ms`,
        );
      });
      return `9 requests (2 isolates, 3 concurrent routes) arrived at +${
        offsets.join(", +")
      } ms`;
    },
  });
  console.log(JSON.stringify(result));
} finally {
  await mf.dispose();
}
