import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import {
  signWebhook,
  verifyWebhook,
  type WebhookEvent,
} from "../src/webhooks.ts";
import {
  TalkJsWebhookError,
  type TalkJsWebhookErrorReason,
} from "../src/errors.ts";
import { createManualClock } from "../src/manual_clock.ts";

const SECRET = "sk_test_0123456789abcdefSECRET";
const NOW_MS = 1_700_000_000_000;

/** TalkJS's scheme, computed independently of the code under test. */
function talkjsSignature(
  secret: string,
  timestamp: string,
  body: string | Uint8Array,
): string {
  return createHmac("sha256", secret).update(`${timestamp}.`).update(body)
    .digest("hex")
    .toUpperCase();
}

const EVENT = {
  id: "evt_1",
  createdAt: NOW_MS,
  type: "message.sent",
  data: {
    sender: { id: "alice", name: "Alice", createdAt: 1 },
    conversation: {
      id: "c1",
      subject: null,
      photoUrl: null,
      welcomeMessages: null,
      custom: {},
      lastMessage: null,
      participants: {},
      createdAt: 1,
    },
    message: {
      id: "m1",
      conversationId: "c1",
      type: "UserMessage",
      senderId: "alice",
      text: "Grüße 👋",
      readBy: [],
      custom: {},
      origin: "rest",
      createdAt: NOW_MS,
      editedAt: null,
      referencedMessageId: null,
      attachment: null,
      location: null,
    },
  },
};
const BODY = JSON.stringify(EVENT);

function signed(
  body: string | Uint8Array,
  timestamp: string | number = NOW_MS,
) {
  const ts = String(timestamp);
  return {
    "X-TalkJS-Timestamp": ts,
    "X-TalkJS-Signature": talkjsSignature(SECRET, ts, body),
  };
}

async function refusal(
  promise: Promise<unknown>,
  reason: TalkJsWebhookErrorReason,
): Promise<TalkJsWebhookError> {
  const error = await promise.then(
    () => assert.fail(`expected a refusal with reason ${reason}`),
    (e: unknown) => e,
  );
  assert.ok(
    error instanceof TalkJsWebhookError,
    `not a TalkJsWebhookError: ${error}`,
  );
  assert.equal(error.reason, reason);
  assert.equal(error.code, "TALKJS_WEBHOOK_INVALID");
  assert.ok(!error.message.includes(SECRET), "message leaks the secret");
  assert.ok(
    !JSON.stringify(error.toJSON()).includes(SECRET),
    "toJSON leaks the secret",
  );
  return error;
}

const clock = createManualClock(NOW_MS);

Deno.test("verifyWebhook() accepts a string body signed in milliseconds", async () => {
  const event = await verifyWebhook({
    secret: SECRET,
    body: BODY,
    headers: signed(BODY),
    clock,
  });
  assert.deepEqual(event, EVENT);
  assert.equal(event.type, "message.sent");
  if (event.type === "message.sent") {
    assert.equal(event.data.message.text, "Grüße 👋");
  }
});

Deno.test("verifyWebhook() accepts a timestamp in seconds", async () => {
  const headers = signed(BODY, NOW_MS / 1000);
  const event = await verifyWebhook({
    secret: SECRET,
    body: BODY,
    headers,
    clock,
  });
  assert.equal(event.type, "message.sent");
});

Deno.test("verifyWebhook() reads timestamps above 10^11 as milliseconds, others as seconds", async () => {
  // 100,000,000,001 ms is March 1973; as seconds it would be the year 5138.
  const ms = 100_000_000_001;
  assert.equal(
    (await verifyWebhook({
      secret: SECRET,
      body: BODY,
      headers: signed(BODY, ms),
      clock: createManualClock(ms),
    })).type,
    "message.sent",
  );
  // 99,999,999,999 is the largest value read as seconds.
  const s = 99_999_999_999;
  assert.equal(
    (await verifyWebhook({
      secret: SECRET,
      body: BODY,
      headers: signed(BODY, s),
      clock: createManualClock(s * 1000),
    })).type,
    "message.sent",
  );
  await assert.rejects(
    verifyWebhook({
      secret: SECRET,
      body: BODY,
      headers: signed(BODY, s),
      clock: createManualClock(s),
    }),
    (e) => e instanceof TalkJsWebhookError && e.reason === "stale_timestamp",
  );
});

Deno.test("verifyWebhook() takes a node:http request's headers and body as they come", async () => {
  const results: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      // IncomingHttpHeaders (arrays for repeated headers) and a Buffer body.
      const headers: IncomingHttpHeaders = req.headers;
      try {
        const event = await verifyWebhook({
          secret: SECRET,
          body: Buffer.concat(chunks),
          headers,
          clock,
        });
        results.push(event.type);
      } catch (error) {
        results.push(String(error));
      }
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/events`, {
      method: "POST",
      body: BODY,
      headers: signed(BODY),
    });
    await res.body?.cancel();
    assert.deepEqual(results, ["message.sent"]);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

Deno.test("verifyWebhook() accepts Uint8Array and ArrayBuffer bodies", async () => {
  const bytes = new TextEncoder().encode(BODY);
  const headers = signed(bytes);
  assert.deepEqual(
    await verifyWebhook({ secret: SECRET, body: bytes, headers, clock }),
    EVENT,
  );
  const buffer = bytes.slice().buffer;
  assert.deepEqual(
    await verifyWebhook({ secret: SECRET, body: buffer, headers, clock }),
    EVENT,
  );
  // A view into a larger buffer: only its own bytes count.
  const padded = new Uint8Array(bytes.length + 8);
  padded.set(bytes, 4);
  const view = padded.subarray(4, 4 + bytes.length);
  assert.deepEqual(
    await verifyWebhook({ secret: SECRET, body: view, headers, clock }),
    EVENT,
  );
});

Deno.test("verifyWebhook() and signWebhook() read a Uint8Array over a SharedArrayBuffer as its bytes", async () => {
  // A Uint8Array may view a SharedArrayBuffer; Deno's Blob refuses such a
  // view, so the signed payload must not be joined from it as it is.
  const bytes = new TextEncoder().encode(BODY);
  const shared = new Uint8Array(
    new SharedArrayBuffer(bytes.length + 6),
    3,
    bytes.length,
  );
  shared.set(bytes);
  const headers = signed(bytes);
  assert.deepEqual(
    await verifyWebhook({ secret: SECRET, body: shared, headers, clock }),
    EVENT,
  );
  assert.deepEqual(
    await signWebhook({ secret: SECRET, body: shared, timestamp: NOW_MS }),
    headers,
  );
});

Deno.test("verifyWebhook() reads Headers and records case-insensitively", async () => {
  const sig = signed(BODY);
  const headers = new Headers(sig);
  assert.equal(
    (await verifyWebhook({ secret: SECRET, body: BODY, headers, clock })).type,
    "message.sent",
  );
  const lower = {
    "x-talkjs-timestamp": sig["X-TalkJS-Timestamp"],
    "x-talkjs-signature": sig["X-TalkJS-Signature"],
    "content-type": undefined,
  };
  assert.equal(
    (await verifyWebhook({ secret: SECRET, body: BODY, headers: lower, clock }))
      .type,
    "message.sent",
  );
});

Deno.test("verifyWebhook() accepts a lowercase hex signature (same bytes)", async () => {
  const sig = signed(BODY);
  const headers = {
    ...sig,
    "X-TalkJS-Signature": sig["X-TalkJS-Signature"].toLowerCase(),
  };
  assert.equal(
    (await verifyWebhook({ secret: SECRET, body: BODY, headers, clock })).type,
    "message.sent",
  );
});

Deno.test("verifyWebhook() refuses a request without a signature", async () => {
  const { "X-TalkJS-Timestamp": ts } = signed(BODY);
  await refusal(
    verifyWebhook({
      secret: SECRET,
      body: BODY,
      headers: { "X-TalkJS-Timestamp": ts },
      clock,
    }),
    "missing_signature",
  );
  await refusal(
    verifyWebhook({
      secret: SECRET,
      body: BODY,
      headers: { "X-TalkJS-Timestamp": ts, "X-TalkJS-Signature": "" },
      clock,
    }),
    "missing_signature",
  );
});

Deno.test("verifyWebhook() refuses a request without a timestamp", async () => {
  const { "X-TalkJS-Signature": sig } = signed(BODY);
  await refusal(
    verifyWebhook({
      secret: SECRET,
      body: BODY,
      headers: new Headers({ "X-TalkJS-Signature": sig }),
      clock,
    }),
    "missing_timestamp",
  );
});

Deno.test("verifyWebhook() refuses a non-numeric timestamp", async () => {
  for (
    const ts of ["soon", "-1700000000", "1.7e9", "0x65", "17000000000000000000"]
  ) {
    await refusal(
      verifyWebhook({
        secret: SECRET,
        body: BODY,
        headers: signed(BODY, ts),
        clock,
      }),
      "bad_timestamp",
    );
  }
});

Deno.test("verifyWebhook() refuses a wrong signature", async () => {
  const sig = signed(BODY);
  const wrongSecret = createHmac("sha256", "sk_test_other").update(
    `${NOW_MS}.${BODY}`,
  ).digest("hex")
    .toUpperCase();
  for (
    const signature of [
      wrongSecret,
      "nothex",
      sig["X-TalkJS-Signature"].slice(2), // too short
      sig["X-TalkJS-Signature"] + "00", // too long
      "sha256=" + sig["X-TalkJS-Signature"],
    ]
  ) {
    const error = await refusal(
      verifyWebhook({
        secret: SECRET,
        body: BODY,
        headers: { ...sig, "X-TalkJS-Signature": signature },
        clock,
      }),
      "bad_signature",
    );
    assert.ok(
      !error.message.includes(sig["X-TalkJS-Signature"]),
      "message leaks the expected signature",
    );
    assert.ok(!error.message.includes(sig["X-TalkJS-Signature"].toLowerCase()));
  }
});

Deno.test("verifyWebhook() refuses a tampered body or timestamp", async () => {
  const headers = signed(BODY);
  await refusal(
    verifyWebhook({
      secret: SECRET,
      body: BODY.replace("alice", "mallory"),
      headers,
      clock,
    }),
    "bad_signature",
  );
  await refusal(
    verifyWebhook({ secret: SECRET, body: BODY + " ", headers, clock }),
    "bad_signature",
  );
  await refusal(
    verifyWebhook({
      secret: SECRET,
      body: BODY,
      headers: { ...headers, "X-TalkJS-Timestamp": String(NOW_MS + 1) },
      clock,
    }),
    "bad_signature",
  );
});

Deno.test("verifyWebhook() verifies non-UTF-8 bytes as bytes, never re-encoded", async () => {
  const prefix = new TextEncoder().encode(
    '{"type":"user.updated","data":{"note":"',
  );
  const suffix = new TextEncoder().encode('"}}');
  const body = new Uint8Array([...prefix, 0xff, 0xfe, 0x80, ...suffix]);
  const headers = signed(body);
  const event = await verifyWebhook({ secret: SECRET, body, headers, clock });
  assert.equal(event.type, "user.updated");
  assert.equal(
    (event.data as unknown as { note: string }).note,
    "\ufffd\ufffd\ufffd",
  );

  // Both bodies decode to the same text; only a byte-exact check tells them apart.
  const other = body.slice();
  other[prefix.length] = 0xfd;
  assert.equal(new TextDecoder().decode(other), new TextDecoder().decode(body));
  await refusal(
    verifyWebhook({ secret: SECRET, body: other, headers, clock }),
    "bad_signature",
  );
  // The same bytes passed as a decoded string are re-encoded, so they no longer match.
  await refusal(
    verifyWebhook({
      secret: SECRET,
      body: new TextDecoder().decode(body),
      headers,
      clock,
    }),
    "bad_signature",
  );
});

Deno.test("verifyWebhook() refuses a stale or future timestamp at the tolerance edges", async () => {
  const clock = createManualClock(NOW_MS);
  const at = (ts: number) =>
    verifyWebhook({
      secret: SECRET,
      body: BODY,
      headers: signed(BODY, ts),
      clock,
    });
  // Exactly 300 s either way is accepted; one millisecond more is not.
  assert.equal((await at(NOW_MS - 300_000)).type, "message.sent");
  assert.equal((await at(NOW_MS + 300_000)).type, "message.sent");
  await refusal(at(NOW_MS - 300_001), "stale_timestamp");
  await refusal(at(NOW_MS + 300_001), "stale_timestamp");
  // Seconds: 300 s old is fine, 301 s is not.
  assert.equal((await at(NOW_MS / 1000 - 300)).type, "message.sent");
  await refusal(at(NOW_MS / 1000 - 301), "stale_timestamp");

  // A request that was fresh goes stale as the clock moves on.
  const headers = signed(BODY, NOW_MS);
  await clock.advance(300_000);
  assert.equal(
    (await verifyWebhook({ secret: SECRET, body: BODY, headers, clock })).type,
    "message.sent",
  );
  await clock.advance(1);
  await refusal(
    verifyWebhook({ secret: SECRET, body: BODY, headers, clock }),
    "stale_timestamp",
  );
});

Deno.test("verifyWebhook() honours toleranceSeconds", async () => {
  const headers = signed(BODY, NOW_MS - 10_000);
  await refusal(
    verifyWebhook({
      secret: SECRET,
      body: BODY,
      headers,
      clock,
      toleranceSeconds: 9,
    }),
    "stale_timestamp",
  );
  const event = await verifyWebhook({
    secret: SECRET,
    body: BODY,
    headers,
    clock,
    toleranceSeconds: 10,
  });
  assert.equal(event.type, "message.sent");
  await refusal(
    verifyWebhook({
      secret: SECRET,
      body: BODY,
      headers: signed(BODY, NOW_MS + 1),
      clock,
      toleranceSeconds: 0,
    }),
    "stale_timestamp",
  );
});

Deno.test("verifyWebhook() refuses a signed body that is not a TalkJS event", async () => {
  for (
    const body of [
      "not json",
      "[1,2]",
      "null",
      '"message.sent"',
      '{"data":{}}',
      '{"type":7}',
    ]
  ) {
    const error = await refusal(
      verifyWebhook({ secret: SECRET, body, headers: signed(body), clock }),
      "bad_body",
    );
    if (body === "not json") assert.ok(error.cause instanceof SyntaxError);
  }
});

Deno.test("verifyWebhook() passes an unknown event type through", async () => {
  const body = '{"type":"future.event","data":{"x":1}}';
  const event = await verifyWebhook({
    secret: SECRET,
    body,
    headers: signed(body),
    clock,
  });
  assert.equal(event.type as string, "future.event");
});

Deno.test("verifyWebhook() rejects bad arguments before checking anything", async () => {
  const headers = signed(BODY);
  await assert.rejects(
    verifyWebhook({ secret: "", body: BODY, headers, clock }),
    TypeError,
  );
  await assert.rejects(
    verifyWebhook({
      secret: SECRET,
      body: { not: "bytes" } as unknown as string,
      headers,
      clock,
    }),
    TypeError,
  );
  await assert.rejects(
    verifyWebhook({
      secret: SECRET,
      body: BODY,
      headers: null as unknown as Headers,
      clock,
    }),
    TypeError,
  );
  await assert.rejects(
    verifyWebhook({
      secret: SECRET,
      body: BODY,
      headers,
      clock,
      toleranceSeconds: -1,
    }),
    RangeError,
  );
  for (const maxBodyBytes of [0, 2.5, -1]) {
    await assert.rejects(
      verifyWebhook({
        secret: SECRET,
        body: BODY,
        headers,
        clock,
        maxBodyBytes,
      }),
      {
        name: "RangeError",
        message:
          `Cannot verify a webhook as 'maxBodyBytes' must be a positive integer or Infinity: current value is ${maxBodyBytes}`,
      },
    );
  }
});

Deno.test("verifyWebhook() refuses a body over maxBodyBytes (1 MiB) before hashing it", async () => {
  /** A JSON event of exactly `size` bytes. */
  const event = (size: number) => {
    const head = '{"type":"user.updated","data":{"pad":"';
    return head + "x".repeat(size - head.length - 3) + '"}}';
  };
  const fits = event(1_048_576);
  const verified = await verifyWebhook({
    secret: SECRET,
    body: fits,
    headers: signed(fits),
    clock,
  });
  assert.equal(verified.type, "user.updated");
  const over = event(1_048_577);
  const error = await refusal(
    verifyWebhook({ secret: SECRET, body: over, headers: signed(over), clock }),
    "body_too_large",
  );
  assert.match(error.message, /over the 1048576-byte limit/);
  // Before the signature: a forged oversized body is refused on its size.
  await refusal(
    verifyWebhook({
      secret: SECRET,
      body: new Uint8Array(2_000),
      headers: { ...signed(BODY), "X-TalkJS-Signature": "AB".repeat(32) },
      clock,
      maxBodyBytes: 1_999,
    }),
    "body_too_large",
  );
  // Counted in bytes, not characters; Infinity lifts the cap.
  const wide = JSON.stringify({ type: "user.updated", data: { n: "é" } });
  await refusal(
    verifyWebhook({
      secret: SECRET,
      body: wide,
      headers: signed(wide),
      clock,
      maxBodyBytes: wide.length,
    }),
    "body_too_large",
  );
  const unlimited = await verifyWebhook({
    secret: SECRET,
    body: over,
    headers: signed(over),
    clock,
    maxBodyBytes: Infinity,
  });
  assert.equal(unlimited.type, "user.updated");
});

Deno.test("verifyWebhook() uses the system clock by default", async () => {
  const body = '{"type":"user.created","data":{}}';
  const ts = String(Date.now());
  const event = await verifyWebhook({
    secret: SECRET,
    body,
    headers: {
      "X-TalkJS-Timestamp": ts,
      "X-TalkJS-Signature": talkjsSignature(SECRET, ts, body),
    },
  });
  assert.equal(event.type, "user.created");
});

Deno.test("signWebhook() produces TalkJS's uppercase HMAC over timestamp.body", async () => {
  const headers = await signWebhook({
    secret: SECRET,
    body: BODY,
    timestamp: NOW_MS,
  });
  assert.deepEqual(headers, signed(BODY));
  assert.match(headers["X-TalkJS-Signature"], /^[0-9A-F]{64}$/);

  const bytes = new Uint8Array([0xff, 0x00, 0x7b]);
  const fromBytes = await signWebhook({
    secret: SECRET,
    body: bytes,
    timestamp: 1_700_000_000,
  });
  assert.equal(
    fromBytes["X-TalkJS-Signature"],
    talkjsSignature(SECRET, "1700000000", bytes),
  );
});

Deno.test("signWebhook() stamps with the clock and round-trips through verifyWebhook()", async () => {
  const clock = createManualClock(NOW_MS + 0.5);
  const headers = await signWebhook({ secret: SECRET, body: BODY, clock });
  assert.equal(headers["X-TalkJS-Timestamp"], String(NOW_MS));
  const event: WebhookEvent = await verifyWebhook({
    secret: SECRET,
    body: BODY,
    headers: new Headers({ ...headers }),
    clock,
  });
  assert.deepEqual(event, EVENT);
});

Deno.test("signWebhook() rejects bad arguments", async () => {
  await assert.rejects(signWebhook({ secret: "", body: BODY }), TypeError);
  await assert.rejects(
    signWebhook({ secret: SECRET, body: 5 as unknown as string }),
    TypeError,
  );
  await assert.rejects(
    signWebhook({ secret: SECRET, body: BODY, timestamp: -1 }),
    RangeError,
  );
  await assert.rejects(
    signWebhook({ secret: SECRET, body: BODY, timestamp: 1.5 }),
    RangeError,
  );
});

Deno.test("verifyWebhook() checks the signature before the timestamp's age", async () => {
  // A forged request is a bad signature whatever its timestamp: stale_timestamp
  // always means a genuine request that is too old (a replay or clock skew).
  const old = String(NOW_MS - 3_600_000);
  await refusal(
    verifyWebhook({
      secret: SECRET,
      body: BODY,
      headers: {
        "X-TalkJS-Timestamp": old,
        "X-TalkJS-Signature": "AB".repeat(32),
      },
      clock,
    }),
    "bad_signature",
  );
  await refusal(
    verifyWebhook({
      secret: SECRET,
      body: BODY,
      headers: signed(BODY, old),
      clock,
    }),
    "stale_timestamp",
  );
});
