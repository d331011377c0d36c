import assert from "node:assert/strict";
import { mulberry32 } from "./_random.ts";
import {
  isRetryableError,
  type RetryInfo,
  type RetryOptions,
  withRetry,
} from "../src/retry.ts";
import {
  TalkJsApiError,
  TalkJsNetworkError,
  TalkJsTimeoutError,
} from "../src/errors.ts";
import { createManualClock } from "../src/manual_clock.ts";

function apiError(status: number, retryAfterMs?: number): TalkJsApiError {
  return new TalkJsApiError({
    status,
    method: "GET",
    path: "/v1/app/users",
    body: {},
    retryAfterMs,
  });
}

function networkError(): TalkJsNetworkError {
  return new TalkJsNetworkError({
    method: "GET",
    path: "/v1/app/users",
    cause: new TypeError("connection reset"),
  });
}

/**
 * Runs withRetry on a manual clock with `fn` failing with `errors` in turn
 * (then succeeding), and answers when each attempt started and what
 * onRetry saw.
 */
async function run(
  errors: unknown[],
  options: RetryOptions = {},
): Promise<
  { result: unknown; error: unknown; starts: number[]; infos: RetryInfo[] }
> {
  const clock = createManualClock();
  const starts: number[] = [];
  const infos: RetryInfo[] = [];
  let result: unknown;
  let error: unknown;
  const done = withRetry(({ attempt }) => {
    starts.push(clock.now());
    const failure = errors[attempt - 1];
    return failure === undefined
      ? Promise.resolve(`ok ${attempt}`)
      : Promise.reject(failure);
  }, { clock, onRetry: (info) => infos.push(info), ...options }).then(
    (value) => result = value,
    (reason) => error = reason,
  );
  await clock.runAll();
  await done;
  assert.equal(clock.pending, 0);
  return { result, error, starts, infos };
}

Deno.test("withRetry() returns the first success without waiting", async () => {
  const clock = createManualClock();
  const seen: unknown[] = [];
  const value = await withRetry((ctx) => {
    seen.push(ctx);
    return Promise.resolve(42);
  }, { clock });
  assert.equal(value, 42);
  assert.deepEqual(seen, [{ attempt: 1 }]);
  assert.equal(clock.pending, 0);
});

Deno.test("withRetry() passes attempt numbers and the signal to each attempt", async () => {
  const clock = createManualClock();
  const controller = new AbortController();
  const seen: { attempt: number; signal?: AbortSignal }[] = [];
  const done = withRetry((ctx) => {
    seen.push(ctx);
    return ctx.attempt < 3
      ? Promise.reject(networkError())
      : Promise.resolve("done");
  }, { clock, signal: controller.signal });
  await clock.runAll();
  assert.equal(await done, "done");
  assert.deepEqual(seen.map((c) => c.attempt), [1, 2, 3]);
  for (const ctx of seen) assert.equal(ctx.signal, controller.signal);
});

Deno.test("withRetry() without jitter waits min × factor^(n−1), capped at maxDelayMs", async () => {
  const { result, starts, infos } = await run(
    [
      apiError(503),
      apiError(500),
      networkError(),
      apiError(429),
      new TalkJsTimeoutError({ method: "GET", path: "/", timeoutMs: 5 }),
    ],
    { retries: 5, jitter: "none", minDelayMs: 100, maxDelayMs: 500, factor: 2 },
  );
  assert.equal(result, "ok 6");
  assert.deepEqual(infos.map((i) => i.delayMs), [100, 200, 400, 500, 500]);
  assert.deepEqual(starts, [0, 100, 300, 700, 1200, 1700]);
});

Deno.test("withRetry() defaults: 3 retries, 250 ms doubling", async () => {
  const errors = [apiError(500), apiError(500), apiError(500), apiError(500)];
  const { error, starts, infos } = await run(errors, { jitter: "none" });
  assert.equal(error, errors[3]);
  assert.deepEqual(infos.map((i) => i.delayMs), [250, 500, 1000]);
  assert.deepEqual(starts, [0, 250, 750, 1750]);
});

Deno.test("withRetry() full jitter stays within [minDelayMs, upper bound] (seeded)", async () => {
  const random = mulberry32(12345);
  const errors = Array.from({ length: 8 }, () => networkError());
  const { infos } = await run(errors, {
    retries: 8,
    minDelayMs: 100,
    maxDelayMs: 3_000,
    factor: 3,
    random,
  });
  assert.equal(infos.length, 8);
  const delays = infos.map((i) => i.delayMs);
  for (const [n, delay] of delays.entries()) {
    const upper = Math.min(3_000, 100 * 3 ** n);
    assert.ok(
      delay >= 100 && delay <= upper,
      `delay ${n + 1} = ${delay} not in [100, ${upper}]`,
    );
  }
  // Same seed, same waits.
  const again = await run(errors, {
    retries: 8,
    minDelayMs: 100,
    maxDelayMs: 3_000,
    factor: 3,
    random: mulberry32(12345),
  });
  assert.deepEqual(again.infos.map((i) => i.delayMs), delays);
  // Not all at the upper bound: the jitter is real.
  assert.ok(delays.some((d, n) => d < Math.min(3_000, 100 * 3 ** n)));
});

Deno.test("withRetry() full jitter maps random 0 to minDelayMs and near 1 to the upper bound", async () => {
  const low = await run([networkError(), networkError()], {
    minDelayMs: 100,
    random: () => 0,
  });
  assert.deepEqual(low.infos.map((i) => i.delayMs), [100, 100]);
  const high = await run([networkError(), networkError(), networkError()], {
    minDelayMs: 100,
    random: () => 0.999,
  });
  const delays = high.infos.map((i) => i.delayMs);
  assert.equal(delays[0], 100); // the first retry's range is [100, 100]
  assert.ok(Math.abs(delays[1]! - 199.9) < 1e-9);
  assert.ok(Math.abs(delays[2]! - 399.7) < 1e-9);
});

Deno.test("withRetry() makes Retry-After the floor of the next wait, even above maxDelayMs", async () => {
  const { result, starts, infos } = await run(
    [apiError(429, 5_000), apiError(429, 10), apiError(503)],
    { jitter: "none", minDelayMs: 100, maxDelayMs: 1_000 },
  );
  assert.equal(result, "ok 4");
  assert.deepEqual(infos.map((i) => i.delayMs), [5_000, 200, 400]);
  assert.deepEqual(starts, [0, 5_000, 5_200, 5_600]);
});

Deno.test("withRetry() tells onRetry which attempt failed, the wait and the error", async () => {
  const first = apiError(502);
  const second = networkError();
  const { infos } = await run([first, second], {
    jitter: "none",
    minDelayMs: 10,
  });
  assert.equal(infos.length, 2);
  assert.deepEqual(infos, [
    { attempt: 1, delayMs: 10, error: first },
    { attempt: 2, delayMs: 20, error: second },
  ]);
  assert.equal(infos[0]!.error, first);
});

Deno.test("withRetry() rethrows the last error unchanged after the last attempt", async () => {
  const errors = [apiError(500), apiError(500), apiError(503)];
  const { error, starts } = await run(errors, { retries: 2 });
  assert.equal(error, errors[2]);
  assert.ok(error instanceof TalkJsApiError);
  assert.equal((error as TalkJsApiError).status, 503);
  assert.equal(starts.length, 3);
});

Deno.test("withRetry() does not retry 400, 401, 404, plain errors or aborts", async () => {
  const cases: unknown[] = [
    apiError(400),
    apiError(401),
    apiError(404),
    new Error("boom"),
    new DOMException("aborted", "AbortError"),
    "a string",
  ];
  for (const original of cases) {
    const { error, starts, infos } = await run([original]);
    assert.equal(error, original);
    assert.equal(starts.length, 1);
    assert.equal(infos.length, 0);
  }
});

Deno.test("withRetry() with retries 0 calls once", async () => {
  const original = apiError(500);
  const { error, starts } = await run([original], { retries: 0 });
  assert.equal(error, original);
  assert.equal(starts.length, 1);
});

Deno.test("withRetry() asks shouldRetry with the error and the attempt", async () => {
  const seen: [unknown, number][] = [];
  const failure = new Error("custom");
  const { error, starts } = await run([failure, failure, failure], {
    shouldRetry: (e, attempt) => {
      seen.push([e, attempt]);
      return attempt < 2;
    },
  });
  assert.equal(error, failure);
  assert.equal(starts.length, 2);
  assert.deepEqual(seen, [[failure, 1], [failure, 2]]);
});

Deno.test("withRetry() stops at once with signal.reason when aborted mid-sleep", async () => {
  const clock = createManualClock();
  const controller = new AbortController();
  let calls = 0;
  const done = withRetry(() => {
    calls++;
    return Promise.reject(networkError());
  }, { clock, signal: controller.signal, minDelayMs: 1_000, jitter: "none" });
  await clock.advance(500);
  assert.equal(calls, 1);
  assert.equal(clock.pending, 1);
  const reason = new Error("stop");
  controller.abort(reason);
  await assert.rejects(done, (e) => e === reason);
  assert.equal(clock.pending, 0);
  assert.equal(clock.now(), 500);
  await clock.advance(10_000);
  assert.equal(calls, 1);
});

Deno.test("withRetry() never calls fn when the signal is already aborted", async () => {
  const controller = new AbortController();
  controller.abort();
  let calls = 0;
  await assert.rejects(
    withRetry(() => {
      calls++;
      return Promise.resolve(1);
    }, { signal: controller.signal, clock: createManualClock() }),
    (e) => e === controller.signal.reason,
  );
  assert.equal(calls, 0);
});

Deno.test("withRetry() rejects with signal.reason when an attempt fails after an abort", async () => {
  const clock = createManualClock();
  const controller = new AbortController();
  const reason = new Error("user gave up");
  const done = withRetry(({ signal }) =>
    new Promise<never>((_, reject) => {
      // Like fetch: the attempt fails with its own error once aborted.
      signal!.addEventListener("abort", () => reject(networkError()), {
        once: true,
      });
    }), { clock, signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(done, (e) => e === reason);
  assert.equal(clock.pending, 0);
});

Deno.test("withRetry() throws TypeError/RangeError for bad options before calling fn", async () => {
  let calls = 0;
  const fn = () => {
    calls++;
    return Promise.resolve(1);
  };
  await assert.rejects(withRetry(fn, { retries: -1 }), {
    name: "RangeError",
    message:
      "Cannot retry as 'retries' must be a non-negative integer or Infinity: current value is -1",
  });
  await assert.rejects(withRetry(fn, { retries: 1.5 }), RangeError);
  await assert.rejects(
    withRetry(fn, { minDelayMs: -1 }),
    /'minDelayMs'.*current value is -1/,
  );
  await assert.rejects(withRetry(fn, { minDelayMs: 500, maxDelayMs: 100 }), {
    name: "RangeError",
    message:
      "Cannot retry as 'maxDelayMs' must be a finite number >= minDelayMs (500): current value is 100",
  });
  await assert.rejects(
    withRetry(fn, { factor: 0.5 }),
    /'factor'.*current value is 0.5/,
  );
  await assert.rejects(
    withRetry(fn, { jitter: "half" as never }),
    {
      name: "RangeError",
      message:
        `Cannot retry as 'jitter' must be "full" or "none": current value is "half"`,
    },
  );
  await assert.rejects(withRetry(fn, { shouldRetry: 1 as never }), TypeError);
  await assert.rejects(withRetry(fn, { retries: "3" as never }), TypeError);
  await assert.rejects(withRetry(null as never), /'fn' must be a function/);
  assert.equal(calls, 0);
});

Deno.test("withRetry() retries forever with retries Infinity until success", async () => {
  const errors = Array.from({ length: 20 }, () => networkError());
  const { result, starts } = await run(errors, {
    retries: Infinity,
    minDelayMs: 1,
    maxDelayMs: 2,
    jitter: "none",
  });
  assert.equal(result, "ok 21");
  assert.equal(starts.length, 21);
});

Deno.test("isRetryableError() accepts 429, 5xx, network errors and timeouts only", () => {
  assert.equal(isRetryableError(apiError(429)), true);
  assert.equal(isRetryableError(apiError(500)), true);
  assert.equal(isRetryableError(apiError(503)), true);
  assert.equal(isRetryableError(networkError()), true);
  assert.equal(
    isRetryableError(
      new TalkJsTimeoutError({
        method: "GET",
        path: "/v1/app/users",
        timeoutMs: 30_000,
      }),
    ),
    true,
  );
  assert.equal(isRetryableError(apiError(400)), false);
  assert.equal(isRetryableError(apiError(401)), false);
  assert.equal(isRetryableError(apiError(404)), false);
  assert.equal(isRetryableError(apiError(409)), false);
  assert.equal(
    isRetryableError(new DOMException("aborted", "AbortError")),
    false,
  );
  assert.equal(
    isRetryableError(new DOMException("timed out", "TimeoutError")),
    false,
  );
  assert.equal(isRetryableError(new TypeError("fetch failed")), false);
  assert.equal(isRetryableError(undefined), false);
  assert.equal(isRetryableError({ status: 503 }), false);
});
