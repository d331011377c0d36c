/** The header TalkJS puts its webhook timestamp in. */
export const TIMESTAMP_HEADER = "X-TalkJS-Timestamp";
/** The header TalkJS puts its webhook signature in. */
export const SIGNATURE_HEADER = "X-TalkJS-Signature";
