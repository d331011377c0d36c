import { errorResponse } from "./_http.ts";
import type { StoredFile } from "./_store.ts";

/**
 * @internal `GET /files/{attachmentToken}`: an uploaded file, as the
 * `attachment.url` of the messages that carry it.
 */
export function serveFile(
  files: Map<string, StoredFile>,
  rawToken: string,
): Response {
  let token: string;
  try {
    token = decodeURIComponent(rawToken);
  } catch {
    token = rawToken;
  }
  const file = files.get(token);
  if (!file) {
    return errorResponse(404, {
      attachmentToken: "no file was uploaded with this token",
    });
  }
  return new Response(file.blob, {
    headers: {
      "content-type": file.type,
      // Served from the API's origin: never run as a page there.
      "x-content-type-options": "nosniff",
      "content-security-policy": "sandbox",
      "content-disposition": `inline; filename*=UTF-8''${
        encodeURIComponent(file.filename)
      }`,
    },
  });
}
