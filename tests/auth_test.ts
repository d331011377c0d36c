// src/auth.ts: createAppToken() and createUserToken(), checked with jose's
// own verifier (a JWT library we did not write) and against the emulator.
import assert from "node:assert/strict";
import { decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { createAppToken, createUserToken } from "../src/auth.ts";
import { createManualClock } from "../src/manual_clock.ts";
import { createEmulator } from "../testing.ts";

const APP = "tAuthTest";
const SECRET = "sk_test_auth_0123456789abcdef";
const key = new TextEncoder().encode(SECRET);
const NOW_MS = 1_700_000_000_123;

/** Verifies `token` as TalkJS does (HS256, our key, issuer the app) at `nowMs`. */
async function verify(token: string, nowMs = NOW_MS) {
  const { payload, protectedHeader } = await jwtVerify(token, key, {
    issuer: APP,
    algorithms: ["HS256"],
    currentDate: new Date(nowMs),
  });
  return { payload, protectedHeader };
}

Deno.test("createAppToken() signs an HS256 JWT { tokenType: 'app', iss, iat, exp } living 30 s by default", async () => {
  const clock = createManualClock(NOW_MS);
  const token = await createAppToken({ appId: APP, secretKey: SECRET, clock });
  const { payload, protectedHeader } = await verify(token);
  assert.deepEqual(protectedHeader, { alg: "HS256", typ: "JWT" });
  assert.deepEqual(payload, {
    tokenType: "app",
    iss: APP,
    iat: 1_700_000_000,
    exp: 1_700_000_030,
  });
});

Deno.test("createAppToken() takes iat from the clock (whole seconds, rounded down) and exp from ttlSeconds (rounded up)", async () => {
  const clock = createManualClock(NOW_MS);
  const first = await createAppToken({
    appId: APP,
    secretKey: SECRET,
    clock,
    ttlSeconds: 0.5,
  });
  const { iat, exp } = (await verify(first)).payload;
  assert.deepEqual([iat, exp], [1_700_000_000, 1_700_000_001]);
  await clock.advance(2_000);
  const later = await createAppToken({
    appId: APP,
    secretKey: SECRET,
    clock,
    ttlSeconds: 600,
  });
  const { payload } = await verify(later, clock.now());
  assert.deepEqual([payload.iat, payload.exp], [1_700_000_002, 1_700_000_602]);
  assert.notEqual(later, first);
});

Deno.test("createAppToken() tokens expire: jose refuses one past exp", async () => {
  const token = await createAppToken({
    appId: APP,
    secretKey: SECRET,
    clock: createManualClock(NOW_MS),
  });
  await assert.rejects(
    verify(token, NOW_MS + 31_000),
    (e: Error & { code?: string }) => e.code === "ERR_JWT_EXPIRED",
  );
});

Deno.test("createAppToken() signs with the secret key: another key does not verify it, and the key is not in it", async () => {
  const token = await createAppToken({ appId: APP, secretKey: SECRET });
  await assert.rejects(
    jwtVerify(token, new TextEncoder().encode(`${SECRET}x`)),
    (e: Error & { code?: string }) =>
      e.code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
  );
  const decoded = JSON.stringify([
    decodeProtectedHeader(token),
    decodeJwt(token),
  ]);
  assert.ok(!decoded.includes(SECRET) && !token.includes(SECRET));
});

Deno.test("createUserToken() signs { tokenType: 'user', iss, sub, iat, exp } living an hour by default", async () => {
  const clock = createManualClock(NOW_MS);
  const token = await createUserToken({
    appId: APP,
    secretKey: SECRET,
    userId: "alice",
    clock,
  });
  const { payload, protectedHeader } = await verify(token);
  assert.deepEqual(protectedHeader, { alg: "HS256", typ: "JWT" });
  assert.deepEqual(payload, {
    tokenType: "user",
    sub: "alice",
    iss: APP,
    iat: 1_700_000_000,
    exp: 1_700_003_600,
  });
  const day = await createUserToken({
    appId: APP,
    secretKey: SECRET,
    userId: "alice",
    clock,
    ttlSeconds: 86_400,
  });
  assert.equal((await verify(day)).payload.exp, 1_700_086_400);
});

Deno.test("createAppToken() tokens open the emulator's REST API; createUserToken() tokens do not", async () => {
  const emu = createEmulator({ appId: APP, secretKey: SECRET });
  const call = async (token: string) =>
    (await emu.fetch(`${emu.baseUrl}/v1/${APP}/users`, {
      headers: { authorization: `Bearer ${token}` },
    })).status;
  assert.equal(
    await call(await createAppToken({ appId: APP, secretKey: SECRET })),
    200,
  );
  assert.equal(
    await call(
      await createUserToken({ appId: APP, secretKey: SECRET, userId: "a" }),
    ),
    401,
  );
});

Deno.test("createAppToken() and createUserToken() reject bad options with a TypeError or RangeError naming them, never throwing", async () => {
  const cases: [() => Promise<string>, ErrorConstructor, string][] = [
    [
      () => createAppToken(undefined as never),
      TypeError,
      "Cannot create an app token as 'appId' must be a non-empty string: current value is undefined",
    ],
    [
      () => createAppToken({ appId: "", secretKey: SECRET }),
      TypeError,
      `Cannot create an app token as 'appId' must be a non-empty string: current value is ""`,
    ],
    [
      () => createAppToken({ appId: APP, secretKey: 5 as never }),
      TypeError,
      "Cannot create an app token as 'secretKey' must be a non-empty string: current value is 5",
    ],
    [
      () => createAppToken({ appId: "t\ud800", secretKey: SECRET }),
      TypeError,
      "Cannot create an app token as 'appId' must be well-formed Unicode: current value has a lone surrogate at index 1",
    ],
    [
      () => createAppToken({ appId: APP, secretKey: SECRET, ttlSeconds: 0 }),
      RangeError,
      "Cannot create an app token as 'ttlSeconds' must be a positive number: current value is 0",
    ],
    [
      () =>
        createAppToken({ appId: APP, secretKey: SECRET, ttlSeconds: Infinity }),
      RangeError,
      "Cannot create an app token as 'ttlSeconds' must be a positive number: current value is Infinity",
    ],
    [
      () =>
        createUserToken({ appId: APP, secretKey: SECRET, userId: undefined! }),
      TypeError,
      "Cannot create a user token as 'userId' must be a non-empty string: current value is undefined",
    ],
    [
      () =>
        createUserToken({
          appId: APP,
          secretKey: SECRET,
          userId: "alice",
          ttlSeconds: NaN,
        }),
      RangeError,
      "Cannot create a user token as 'ttlSeconds' must be a positive number: current value is NaN",
    ],
  ];
  for (const [call, type, message] of cases) {
    let pending: Promise<string> | undefined;
    assert.doesNotThrow(() => pending = call(), message);
    await assert.rejects(pending!, (e: Error) => {
      assert.ok(e instanceof type, `${e.name} instead of ${type.name}`);
      assert.equal(e.message, message);
      assert.ok(!e.message.includes(SECRET));
      return true;
    });
  }
});
