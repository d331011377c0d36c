import type { CallOptions } from "../types.ts";
import type { RequestFn } from "../_types.ts";
import { fail, requireId, requireOptions } from "../_validate.ts";
import { endpoint } from "./_endpoint.ts";

/** Options of {@linkcode FilesResource.upload}: `signal` aborts the upload. */
export interface UploadOptions extends CallOptions {
  /** The file's name, sent as the `filename` field (TalkJS's own example sends it). */
  filename: string;
}

/** The `files` resource of a {@linkcode TalkJsClient}. */
export interface FilesResource {
  /**
   * `POST /files`, multipart (`file` and `filename`): uploads a file and
   * answers the token that attaches it to a message you send or import.
   * A Blob keeps its type; bytes go as `application/octet-stream`. Not
   * retried after a lost answer (a second upload would store a second file).
   */
  upload(
    file: Blob | Uint8Array | ArrayBuffer,
    options: UploadOptions,
  ): Promise<{ attachmentToken: string }>;
}

/** Creates the files resource over a request function. */
export function createFilesResource(request: RequestFn): FilesResource {
  const what = "upload a file";
  const post: (
    form: FormData,
    options: { signal?: AbortSignal | undefined },
  ) => Promise<{ attachmentToken: string }> = endpoint(
    request,
    what,
    "POST",
    "files",
    true,
    ["attachmentToken", "string"],
  );
  return {
    async upload(file, options) {
      if (
        !(file instanceof Blob || file instanceof Uint8Array ||
          file instanceof ArrayBuffer)
      ) {
        fail(what, "file", "a Blob, Uint8Array or ArrayBuffer", file);
      }
      const { filename, signal } = requireOptions(what, options);
      const form = new FormData();
      form.append(
        "file",
        file instanceof Blob ? file : new Blob([file as BlobPart]),
        requireId(what, "options.filename", filename),
      );
      form.append("filename", filename as string);
      return await post(form, { signal });
    },
  };
}
