/** The core's one TextEncoder, shared (each copy costs bundle bytes). */
export const encoder: TextEncoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

/** Imports the HMAC-SHA256 signing key once per secret (a few, most recently added kept). */
export function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      encoder.encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    keys.set(secret, key);
    if (keys.size > 64) keys.delete(keys.keys().next().value!);
  }
  return key;
}
