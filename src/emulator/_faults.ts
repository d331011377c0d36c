import {
  fail,
  requireId,
  requireInt,
  requireNumber,
  requireObject,
} from "../_validate.ts";

/**
 * A failure to inject: the next `times` requests matching `path` and
 * `method` fail as described. `status` answers at once with that status and
 * a JSON error, doing no work; `delayMs` waits first (on the emulator's
 * clock, abortable); `reset` does the work, then cuts the answer's body off
 * mid-stream, as a connection lost after TalkJS stored the data. Only a
 * request that passes the app-ID and token checks and the rate limit takes
 * a fault.
 */
export interface FaultOptions {
  /** Answer with this status (200–599) and a JSON error body, before any work. */
  status?: number;
  /** Do the work, then send a few bytes of the answer and fail the body. */
  reset?: boolean;
  /** Wait this long (on the emulator's clock) before handling. */
  delayMs?: number;
  /** Sent as `Retry-After` with `status`: seconds, or an HTTP date. */
  retryAfter?: string | number;
  /**
   * How many matching requests fail (`Infinity` for all).
   * @default {1}
   */
  times?: number;
  /**
   * Which requests: a prefix of (string) or a pattern for (RegExp) the path
   * after `/v1/{appId}`, e.g. `"/users"`. Every path when absent.
   */
  path?: string | RegExp;
  /** Which method, e.g. `"PUT"`; every method when absent. */
  method?: string;
}

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

const WHAT = "inject a fault";

const isWait = (n: number): boolean => Number.isFinite(n) && n >= 0;

function validate(input: FaultOptions): void {
  const fault = requireObject(WHAT, "fault", input);
  const { status, reset, delayMs, retryAfter, times, path, method } = fault;
  if (status !== undefined) requireInt(WHAT, "status", status, 200, 599);
  if (reset !== undefined && typeof reset !== "boolean") {
    fail(WHAT, "reset", "a boolean", reset);
  }
  if (delayMs !== undefined) {
    requireNumber(WHAT, "delayMs", delayMs, "a finite number >= 0", isWait);
  }
  if (retryAfter !== undefined && typeof retryAfter !== "string") {
    const rule = "a string or a number of seconds >= 0";
    requireNumber(WHAT, "retryAfter", retryAfter, rule, isWait);
  }
  if (times !== undefined) {
    requireNumber(
      WHAT,
      "times",
      times,
      "an integer >= 1 or Infinity",
      (n) => n === Infinity || (Number.isInteger(n) && n >= 1),
    );
  }
  if (
    path !== undefined && typeof path !== "string" && !(path instanceof RegExp)
  ) {
    fail(WHAT, "path", "a string or a RegExp", path);
  }
  if (method !== undefined) requireId(WHAT, "method", method);
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
