import type { Clock } from "./clock.ts";
import { TalkJsWebhookError } from "./errors.ts";
import { isCount, requireNumber } from "./_validate.ts";

/** The header TalkJS puts its webhook timestamp in. */
export const TIMESTAMP_HEADER = "X-TalkJS-Timestamp";
/** The header TalkJS puts its webhook signature in. */
export const SIGNATURE_HEADER = "X-TalkJS-Signature";
/** A timestamp as TalkJS sends it: decimal seconds or milliseconds. */
export const TIMESTAMP_FORMAT = /^\d{1,16}$/;
/** An HMAC-SHA256 in hex (TalkJS sends uppercase; either case is read). */
export const SIGNATURE_FORMAT = /^[0-9a-f]{64}$/i;
/** The largest webhook body read by default: 1 MiB. TalkJS's events are a few KB. */
export const MAX_BODY_BYTES = 1_048_576;

/**
 * Throws `stale_timestamp` unless a well-formed timestamp (seconds, or
 * milliseconds when above 10^11) is within `toleranceSeconds` of the clock.
 */
export function checkTimestampAge(
  timestamp: string,
  toleranceSeconds: number,
  clock: Clock,
): void {
  const stamp = Number(timestamp);
  const skewMs = Math.abs(clock.now() - (stamp > 1e11 ? stamp : stamp * 1000));
  if (skewMs > toleranceSeconds * 1000) {
    throw new TalkJsWebhookError(
      "stale_timestamp",
      `Webhook ${TIMESTAMP_HEADER} is ${
        Math.round(skewMs / 1000)
      } s from now, outside the ${toleranceSeconds} s window`,
    );
  }
}

/** Throws the `body_too_large` TalkJsWebhookError. */
export function bodyTooLarge(maxBodyBytes: number): never {
  throw new TalkJsWebhookError(
    "body_too_large",
    `Webhook body is over the ${maxBodyBytes}-byte limit`,
  );
}

/** Throws unless `value` is a positive integer or `Infinity`: the `maxBodyBytes` option. */
export function requireMaxBodyBytes(what: string, value: unknown): void {
  requireNumber(
    what,
    "maxBodyBytes",
    value,
    "a positive integer or Infinity",
    (n) => isCount(n) && n >= 1,
  );
}
