/** The header TalkJS puts its webhook timestamp in. */
export const TIMESTAMP_HEADER = "X-TalkJS-Timestamp";
/** The header TalkJS puts its webhook signature in. */
export const SIGNATURE_HEADER = "X-TalkJS-Signature";
/** A timestamp as TalkJS sends it: decimal seconds or milliseconds. */
export const TIMESTAMP_FORMAT = /^\d{1,16}$/;
/** An HMAC-SHA256 in hex (TalkJS sends uppercase; either case is read). */
export const SIGNATURE_FORMAT = /^[0-9a-f]{64}$/i;
