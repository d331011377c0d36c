/**
 * Waits in real time, at most `timeoutMs`, until `ok()` holds, then fails
 * naming `what`: for work that no manual clock drives (Web Crypto signing a
 * token, a loopback request) before a test advances its clock or counts.
 *
 * @module
 */
import assert from "node:assert/strict";

/** Polls `ok()` every few milliseconds; fails after `timeoutMs` naming `what`. */
export async function until(
  ok: () => boolean,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) {
      assert.fail(`gave up after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
