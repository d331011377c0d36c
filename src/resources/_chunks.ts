import { TalkJsError } from "../errors.ts";

/**
 * Sends `items` in chunks of `size`, in order, through `send`. When a chunk
 * fails with a {@linkcode TalkJsError}, the error learns where: its `chunk`
 * field and its message name the failed items, so the caller can resume.
 * Answers how many requests were made.
 */
export async function inChunks<T>(
  items: readonly T[],
  size: number,
  noun: string,
  send: (chunk: T[], done: number) => Promise<unknown>,
  before = "were stored",
): Promise<number> {
  let done = 0;
  let requests = 0;
  while (done < items.length) {
    const chunk = items.slice(done, done + size);
    try {
      await send(chunk, done);
    } catch (error) {
      if (error instanceof TalkJsError) {
        error.chunk = {
          failedAt: done,
          size: chunk.length,
          total: items.length,
        };
        error.message += ` (${noun} ${done}–${
          done + chunk.length - 1
        } of ${items.length}; the ${done} before ${before})`;
      }
      throw error;
    }
    done += chunk.length;
    requests++;
  }
  return requests;
}
