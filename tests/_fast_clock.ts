import { type Clock, systemClock } from "../src/clock.ts";

/**
 * Real time, `scale` times faster: TalkJS-sized waits (Retry-After: 1, a
 * 30 s token, 250 ms backoff) cost `1/scale` of that, and real sockets still
 * work, which a manual clock cannot drive.
 */
export function fastClock(scale = 100, start = 1_700_000_000_000): Clock {
  const t0 = performance.now();
  return {
    now: () => start + (performance.now() - t0) * scale,
    sleep: (ms, signal) => systemClock.sleep(ms / scale, signal),
  };
}
