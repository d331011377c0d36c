import { TalkJsError } from "../errors.ts";
import type { CallOptions, ChunkProgress } from "../types.ts";
import { requireFunction, requireOptions } from "../_validate.ts";

/** What a chunked call (`putMany`, `send`, `import`) takes as options. */
export interface ChunkOptions extends CallOptions {
  /** Called after each stored chunk. */
  onProgress?: (progress: ChunkProgress) => void;
}

/** Checks a chunked call's options before anything is sent. */
export function checkChunkOptions(
  what: string,
  options: unknown,
): ChunkOptions {
  const checked = requireOptions(what, options) as ChunkOptions;
  requireFunction(what, "options.onProgress", checked.onProgress, true);
  return checked;
}

/**
 * Lists a chunked call hands on with its error, as `error.chunk[name]`: not
 * enumerable (kept out of toJSON and logs, which a long list could swamp).
 */
export type ChunkLists = Partial<
  Record<"results" | "idempotencyKeys" | "ids", unknown[]>
>;

/**
 * Sends `items` in chunks of `size`, in order, through `send`, and reports
 * each stored chunk to `onProgress`. When a chunk fails with a
 * {@linkcode TalkJsError}, the error learns where: its `chunk` field and its
 * message name the failed items (and what happened to the ones `before`),
 * and `chunk` carries `lists` as they stand, so the caller can resume.
 * Answers how many requests were made.
 */
export async function inChunks<T>(
  items: readonly T[],
  size: number,
  noun: string,
  send: (chunk: T[], done: number) => Promise<unknown>,
  { before = "were stored", onProgress, lists = {} }: {
    before?: string;
    onProgress?: ChunkOptions["onProgress"] | undefined;
    lists?: ChunkLists;
  } = {},
): Promise<number> {
  let done = 0;
  let requests = 0;
  while (done < items.length) {
    const chunk = items.slice(done, done + size);
    try {
      await send(chunk, done);
    } catch (error) {
      // A frozen one (a caller's abort reason) is thrown as it is: adding
      // to it would throw a TypeError in its place.
      if (error instanceof TalkJsError && Object.isExtensible(error)) {
        error.chunk = {
          failedAt: done,
          size: chunk.length,
          total: items.length,
        };
        for (const [name, value] of Object.entries(lists)) {
          Object.defineProperty(error.chunk, name, {
            value,
            configurable: true,
            writable: true,
          });
        }
        error.message += ` (${noun} ${done}–${
          done + chunk.length - 1
        } of ${items.length}; the ${done} before ${before})`;
      }
      throw error;
    }
    done += chunk.length;
    requests++;
    onProgress?.({ done, total: items.length, requests });
  }
  return requests;
}
