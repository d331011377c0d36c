import type { FaultOptions } from "./emulator.ts";

/** @internal The queue of injected faults. */
export interface FaultQueue {
  inject(fault: FaultOptions): void;
  /** Consumes and returns the first fault matching this request, if any. */
  take(method: string, path: string): FaultOptions | undefined;
  clear(): void;
}

interface Active {
  fault: FaultOptions;
  remaining: number;
}

function fail(name: string, rule: string, value: unknown): never {
  const shown = typeof value === "string"
    ? JSON.stringify(value)
    : String(value);
  throw new RangeError(
    `Cannot inject a fault as '${name}' must be ${rule}: current value is ${shown}`,
  );
}

function validate(fault: FaultOptions): void {
  if (typeof fault !== "object" || fault === null) {
    throw new TypeError(
      `Cannot inject a fault as 'fault' must be an object: current value is ${fault}`,
    );
  }
  const { status, reset, delayMs, retryAfter, times, path, method } = fault;
  if (
    status !== undefined &&
    (!Number.isInteger(status) || status < 200 || status > 599)
  ) {
    fail("status", "an integer from 200 to 599", status);
  }
  if (reset !== undefined && typeof reset !== "boolean") {
    fail("reset", "a boolean", reset);
  }
  if (delayMs !== undefined && !(Number.isFinite(delayMs) && delayMs >= 0)) {
    fail("delayMs", "a finite number >= 0", delayMs);
  }
  if (
    retryAfter !== undefined && typeof retryAfter !== "string" &&
    !(Number.isFinite(retryAfter) && retryAfter >= 0)
  ) {
    fail("retryAfter", "a string or a number of seconds >= 0", retryAfter);
  }
  if (
    times !== undefined &&
    !(times === Infinity || (Number.isInteger(times) && times >= 1))
  ) {
    fail("times", "an integer >= 1 or Infinity", times);
  }
  if (
    path !== undefined && typeof path !== "string" && !(path instanceof RegExp)
  ) {
    fail("path", "a string or a RegExp", path);
  }
  if (method !== undefined && (typeof method !== "string" || method === "")) {
    fail("method", "a non-empty string", method);
  }
  if (status === undefined && !reset && delayMs === undefined) {
    throw new TypeError(
      "Cannot inject a fault as it needs at least one of 'status', 'reset' or 'delayMs'",
    );
  }
}

function matches(fault: FaultOptions, method: string, path: string): boolean {
  if (fault.method !== undefined && fault.method.toUpperCase() !== method) {
    return false;
  }
  const p = fault.path;
  if (p === undefined) return true;
  if (typeof p === "string") return path.startsWith(p);
  p.lastIndex = 0;
  return p.test(path);
}

/** @internal Creates an empty fault queue. */
export function createFaultQueue(): FaultQueue {
  let active: Active[] = [];
  return {
    inject(fault) {
      validate(fault);
      active.push({ fault: { ...fault }, remaining: fault.times ?? 1 });
    },
    take(method, path) {
      const i = active.findIndex((a) => matches(a.fault, method, path));
      if (i < 0) return undefined;
      const a = active[i]!;
      if (--a.remaining <= 0) active.splice(i, 1);
      return a.fault;
    },
    clear() {
      active = [];
    },
  };
}

/**
 * @internal The same answer, but its body sends a few bytes and then fails,
 * as a connection cut after the server did the work.
 */
export async function cutOff(response: Response): Promise<Response> {
  const bytes = new Uint8Array(await response.arrayBuffer());
  const head = bytes.slice(0, Math.max(1, Math.min(8, bytes.length >> 1)));
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    // Two pulls: the first delivers the head, the second fails. Erroring in
    // the same pull would discard the queued bytes.
    pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(head);
      } else {
        controller.error(
          new TypeError("Emulated connection reset: the body was cut off"),
        );
      }
    },
  });
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return new Response(body, { status: response.status, headers });
}
