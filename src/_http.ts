import type { HttpMethod, RequestOptions } from "./client.ts";
import { requireId, requireInt, show } from "./_validate.ts";

/** Encodes path segments, refusing the ones that would move up or stay (`.` and `..`). */
export function encodeSegments(segments: readonly string[]): string {
  if (!Array.isArray(segments)) {
    throw new TypeError(
      `Cannot send a request as 'segments' must be an array of strings: current value is ${
        show(segments)
      }`,
    );
  }
  let path = "";
  for (let i = 0; i < segments.length; i++) {
    const segment = requireId("send a request", `segments[${i}]`, segments[i]);
    if (segment === "." || segment === "..") {
      throw new TypeError(
        `Cannot send a request as 'segments[${i}]' must not be "." or "..": current value is "${segment}"`,
      );
    }
    path += "/" + encodeURIComponent(segment);
  }
  return path;
}

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(
  value: string | null,
  now: number,
): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** The request function resources are built on. */
export type RequestFn = <T = unknown>(
  method: HttpMethod,
  segments: readonly string[],
  init?: RequestOptions,
) => Promise<T>;

/** Validates a list's `limit` and `startingAfter`, naming the list in errors. */
export function listQuery(
  what: string,
  maxLimit: number,
  params: { limit?: number | undefined; startingAfter?: string | undefined },
): Record<string, string | number | undefined> {
  const { limit, startingAfter } = params;
  if (limit !== undefined) requireInt(what, "limit", limit, 1, maxLimit);
  if (startingAfter !== undefined) {
    requireId(what, "startingAfter", startingAfter);
  }
  return { limit, startingAfter };
}
