import { badRequest, HttpError } from "../_http.ts";
import type { Store } from "../_store.ts";
import type { RouteContext, RouteDeps, RouteTable } from "./_shared.ts";

/**
 * @internal The emulator's own cap on an upload (TalkJS documents none
 * that the project could read): past it, a 413.
 */
export const MAX_FILE_BYTES = 25 * 1024 * 1024;

/**
 * The emulator's cap on all uploads it keeps (`reset()` frees them): past
 * it, a 413, so that a served emulator cannot be filled without bound.
 */
const MAX_STORED_FILE_BYTES = 100 * 1024 * 1024;

const STRICT =
  "(TalkJS's own upload example sends it; the emulator is strict where TalkJS's reference is silent)";

/** The upload's file and filename, or a 400 naming what is wrong. */
function uploadParts(body: unknown): { file: File; filename: string } {
  if (!(body instanceof FormData)) {
    badRequest(
      "content-type",
      "must be multipart/form-data, with a file part and a filename field",
    );
  }
  for (const key of new Set(body.keys())) {
    if (key !== "file" && key !== "filename") {
      badRequest(key, `is not a known field ${STRICT}`);
    }
  }
  const file = body.get("file");
  if (!(file instanceof File)) {
    badRequest(
      "file",
      file === null
        ? "is required: a file part"
        : "must be a file part, not a text field",
    );
  }
  const filename = body.get("filename");
  if (typeof filename !== "string" || filename === "") {
    badRequest("filename", `is required, a non-empty text field ${STRICT}`);
  }
  return { file, filename };
}

/** A 413 unless `file` fits both the per-file and the total cap. */
function checkRoom(store: Store, file: File): void {
  if (file.size > MAX_FILE_BYTES) {
    throw new HttpError(413, {
      file:
        `must be at most 25 MB (the emulator's own cap): current size is ${file.size} bytes`,
    });
  }
  let kept = 0;
  for (const stored of store.files.values()) kept += stored.blob.size;
  if (kept + file.size > MAX_STORED_FILE_BYTES) {
    throw new HttpError(413, {
      file:
        `would take the emulator's uploads past 100 MB (its own cap; reset() frees them): ${kept} bytes kept`,
    });
  }
}

/** @internal `POST /files`. */
export function fileRoutes({ store }: RouteDeps): RouteTable {
  /**
   * Multipart with a `file` part and a `filename` field, as TalkJS's own
   * upload example sends them. The emulator is strict where TalkJS's
   * reference is silent: both are required and no other field is known.
   * Answers the token that attaches the file to a message.
   */
  function uploadFile({ body, origin }: RouteContext): unknown {
    const { file, filename } = uploadParts(body);
    checkRoom(store, file);
    const token = "att_" + Array.from(
      crypto.getRandomValues(new Uint8Array(16)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    store.files.set(token, {
      blob: file,
      type: file.type || "application/octet-stream",
      filename,
      url: `${origin}/files/${token}`,
    });
    return { attachmentToken: token };
  }

  return { "POST /files": uploadFile };
}
