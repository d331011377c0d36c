/**
 * The smoke scenario as a Worker, for workerd: `GET /` runs it and answers
 * its result as JSON. `GET /shared-limiter` paces three calls through one
 * limiter kept for the whole isolate, as `talkjs()` keeps one client (and so
 * one limiter) per app: two concurrent requests show whether a limiter can
 * serve several requests on Workers, where timers and I/O belong to the
 * request that started them.
 *
 * @module
 */
import { createLimiter } from "../.tools/dist/mod.js";
import { smoke } from "./smoke.mjs";

const shared = createLimiter({ burst: 1, perSecond: 20 });

export default {
  async fetch(request) {
    if (new URL(request.url).pathname === "/shared-limiter") {
      // When each call ran, in ms since the epoch: the driver merges the
      // answers of concurrent requests to see one budget's pacing.
      const times = [];
      for (let i = 0; i < 3; i++) {
        await shared.schedule(() => Promise.resolve(times.push(Date.now())));
      }
      return Response.json(times);
    }
    return Response.json(await smoke());
  },
};
