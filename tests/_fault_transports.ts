// Two transports that apply a fault plan: the emulator's fault injection in
// process, and a raw-TCP loopback proxy in front of the emulator.
import type { Emulator, FaultOptions } from "../testing.ts";
import { CUT, type FakeServer, json, startFakeServer } from "./_fake_server.ts";
import {
  bump,
  identityOf,
  newTally,
  type Plan,
  planner,
  type Tally,
} from "./_fault_plan.ts";
import { recordToken, type Sink } from "./_sink.ts";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export interface Transport {
  name: "emulator" | "loopback";
  baseUrl: string;
  fetch: typeof fetch;
  tally: Tally;
  close(): Promise<void>;
}

const STALL_MS = 3_600_000;

/**
 * The emulator in process: each planned fault is injected through
 * `emu.faults.inject` for exactly this request (its exact path and method,
 * once) just before it is handed over.
 */
export function emulatorTransport(
  emu: Emulator,
  plan: Plan,
  sink: Sink,
): Transport {
  const tally = newTally();
  const next = planner(plan, tally);
  const prefix = `/v1/${emu.appId}`;
  const transportFetch: typeof fetch = async (input, init) => {
    const req = new Request(input, init);
    tally.requests++;
    recordToken(sink, req.headers);
    const url = new URL(req.url);
    const path = url.pathname.slice(prefix.length);
    const body = req.method === "GET" ? "" : await req.clone().text();
    const kind = next(identityOf(req.method, path + url.search, body));
    if (kind) {
      const where = {
        path: new RegExp(`^${escapeRegExp(path)}$`),
        method: req.method,
        times: 1,
      };
      const fault: FaultOptions = kind === "cut"
        ? { reset: true }
        : kind === "stall"
        ? { delayMs: STALL_MS }
        : kind === "429-ra"
        ? { status: 429, retryAfter: 1 }
        : { status: Number(kind) };
      emu.faults.inject({ ...fault, ...where });
    }
    const res = await emu.fetch(req);
    bump(tally.statuses, res.status);
    return res;
  };
  return {
    name: "emulator",
    baseUrl: emu.baseUrl,
    fetch: transportFetch,
    tally,
    close: () => Promise.resolve(),
  };
}

/**
 * Starts a server with Nagle's algorithm off on every accepted connection:
 * the fake server writes the head and the body separately, and Nagle plus
 * delayed ACKs would add 40 ms to every sequential request.
 */
export function withNoDelay<T>(start: () => T): T {
  const listen = Deno.listen;
  Object.assign(Deno, {
    listen(options: Deno.TcpListenOptions) {
      const listener = listen(options);
      const accept = listener[Symbol.asyncIterator].bind(listener);
      Object.defineProperty(listener, Symbol.asyncIterator, {
        value: async function* () {
          for await (const conn of { [Symbol.asyncIterator]: accept }) {
            conn.setNoDelay(true);
            yield conn;
          }
        },
      });
      return listener;
    },
  });
  try {
    return start();
  } finally {
    Object.assign(Deno, { listen });
  }
}

const HTML_503 =
  "<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1></body></html>";

/**
 * A raw-TCP loopback server in front of the emulator that applies the plan
 * itself: it cuts connections mid-body after forwarding (`cut`), holds
 * requests until the client gives up (`stall`), and answers 429 storms with
 * and without Retry-After and HTML 503 pages without forwarding.
 */
export function loopbackTransport(
  emu: Emulator,
  plan: Plan,
  sink: Sink,
): Transport & { server: FakeServer } {
  const tally = newTally();
  const next = planner(plan, tally);
  const prefix = `/v1/${emu.appId}`;
  const server = withNoDelay(startFakeServer);
  const stalled: (() => void)[] = [];
  const forward = (
    r: { method: string; path: string; headers: Headers; body: string },
  ) => {
    const headers = new Headers();
    for (
      const name of ["authorization", "content-type", "talkjs-rest-version"]
    ) {
      const value = r.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    return emu.fetch(emu.baseUrl + r.path, {
      method: r.method,
      headers,
      ...(r.method === "GET" ? {} : { body: r.body }),
    });
  };
  server.setDefault(async (r) => {
    const path = r.path.slice(prefix.length);
    const kind = next(identityOf(r.method, path, r.body));
    switch (kind) {
      case "429":
        return json({ errorCode: "TOO_MANY_REQUESTS" }, 429);
      case "429-ra":
        return json({ errorCode: "TOO_MANY_REQUESTS" }, 429, {
          "retry-after": "1",
        });
      case "503":
        return new Response(HTML_503, {
          status: 503,
          headers: { "content-type": "text/html" },
        });
      case "500":
        return json({ errorCode: "INTERNAL_SERVER_ERROR" }, 500);
      case "stall":
        return await new Promise<Response>((resolve) =>
          stalled.push(() => resolve(json({}, 504)))
        );
      case "cut":
        await (await forward(r)).arrayBuffer();
        return CUT;
      default:
        return await forward(r);
    }
  });
  const transportFetch: typeof fetch = async (input, init) => {
    const req = new Request(input, init);
    tally.requests++;
    recordToken(sink, req.headers);
    const res = await fetch(req);
    bump(tally.statuses, res.status);
    return res;
  };
  return {
    name: "loopback",
    baseUrl: server.url,
    fetch: transportFetch,
    tally,
    server,
    async close() {
      stalled.forEach((release) => release());
      await server.close();
    },
  };
}
