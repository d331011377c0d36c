import { readCapped } from "../_read_capped.ts";
import { errorResponse } from "./_http.ts";
import { MAX_FILE_BYTES } from "./routes/files.ts";

/**
 * The largest request body read, in bytes; a larger one is a 413. TalkJS
 * documents no limit; its largest requests (100 users, 10 messages or 10
 * batch operations) are far smaller.
 */
const MAX_BODY_BYTES = 5 * 1024 * 1024;

/**
 * The largest upload body read: a file of `MAX_FILE_BYTES` and its
 * multipart framing.
 */
const MAX_UPLOAD_BYTES = MAX_FILE_BYTES + 64 * 1024;

/** @internal A request's body, read: parsed, or the error answer. */
export type ReadBody = { body: unknown } | { error: Response };

function parseJson(type: string, text: string, method: string): ReadBody {
  // A DELETE may come without a body, and without a content type.
  if (method === "DELETE" && text === "") return { body: undefined };
  if (type !== "application/json") {
    return {
      error: errorResponse(400, {
        "content-type": `must be application/json: current value is ${
          type || "(none)"
        }`,
      }),
    };
  }
  if (text === "") return { body: undefined };
  try {
    return { body: JSON.parse(text) };
  } catch {
    return { error: errorResponse(400, { body: "must be valid JSON" }) };
  }
}

async function parseForm(
  bytes: Uint8Array<ArrayBuffer>,
  headers: Headers,
): Promise<ReadBody> {
  try {
    return {
      body: await new Response(bytes, { headers }).formData(),
    };
  } catch {
    return {
      error: errorResponse(400, { body: "must be valid multipart/form-data" }),
    };
  }
}

/**
 * @internal Reads and parses a request's body, at most 5 MB (an `upload`
 * to `POST /files` up to the file cap): JSON, or multipart form data for an
 * upload; undefined for a GET, a HEAD or an empty body.
 */
export async function readBody(
  req: Request,
  method: string,
  upload: boolean,
): Promise<ReadBody> {
  if (method === "GET" || method === "HEAD") return { body: undefined };
  const max = upload ? MAX_UPLOAD_BYTES : MAX_BODY_BYTES;
  const bytes = await readCapped(req.body, req.headers, max);
  if (bytes === undefined) {
    return {
      error: errorResponse(413, { body: `must be at most ${max} bytes` }),
    };
  }
  if (upload) return parseForm(bytes, req.headers);
  return parseJson(contentType(req), new TextDecoder().decode(bytes), method);
}

/** @internal A request's media type, lower case, without parameters. */
export function contentType(req: Request): string {
  return (req.headers.get("content-type") ?? "").split(";")[0]!.trim()
    .toLowerCase();
}
