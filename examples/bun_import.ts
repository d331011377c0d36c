/**
 * Bulk import of users into TalkJS with `talk.users.putMany`, printing
 * progress after each request (100 users per request).
 *
 * ```sh
 * bun examples/bun_import.ts users.json   # [{ "id": "u1", "name": "Ann" }, …] or { "u1": { "name": "Ann" }, … }
 * bun examples/bun_import.ts              # 1,000 generated users
 * ```
 *
 * With `TALKJS_APP_ID` and `TALKJS_SECRET_KEY` set it writes to that app
 * (`TALKJS_BASE_URL` points it elsewhere, e.g. at `deno task emulator`);
 * without them, to an in-process emulator, so it runs anywhere. It uses
 * `node:` modules only, so Deno (and Node ≥ 24.2, for `import.meta.main`)
 * run it unchanged too. In
 * your own project, import from `@unofficial/talkjs-rest` (`bunx jsr add
 * @unofficial/talkjs-rest`); this repo runs it under Bun in
 * `deno task test:runtimes`.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import process from "node:process";
import {
  createClient,
  type PutManyProgress,
  type TalkJsClient,
  type UserInput,
} from "../mod.ts";
import { createEmulator } from "../testing.ts";

/** What {@linkcode importUsers} did. */
export interface ImportSummary {
  /** Users written. */
  users: number;
  /** PUT /users requests sent. */
  requests: number;
  /** Wall time, in milliseconds. */
  ms: number;
}

/**
 * Writes every user with `putMany`, reporting progress after each chunk.
 *
 * @param talk The client.
 * @param users Users by ID.
 * @param onProgress Called after each stored chunk.
 * @returns How many users and requests, and how long it took.
 */
export async function importUsers(
  talk: TalkJsClient,
  users: Record<string, UserInput>,
  onProgress?: (progress: PutManyProgress) => void,
): Promise<ImportSummary> {
  const start = Date.now();
  let requests = 0;
  await talk.users.putMany(users, {
    onProgress(progress) {
      requests = progress.requests;
      onProgress?.(progress);
    },
  });
  return { users: Object.keys(users).length, requests, ms: Date.now() - start };
}

/** Reads `[{ id, ...user }]` or `{ [id]: user }` from a JSON file, or makes `count` sample users. */
export async function loadUsers(
  path: string | undefined,
  count = 1000,
): Promise<Record<string, UserInput>> {
  if (path === undefined) {
    return Object.fromEntries(
      Array.from({ length: count }, (_, i) => [`user-${i + 1}`, {
        name: `Sample User ${i + 1}`,
        email: [`user${i + 1}@example.com`],
        role: "default",
      }]),
    );
  }
  const data = JSON.parse(await readFile(path, "utf8"));
  if (!Array.isArray(data)) return data;
  return Object.fromEntries(data.map(({ id, ...user }) => [String(id), user]));
}

if (import.meta.main) {
  const appId = process.env.TALKJS_APP_ID;
  const secretKey = process.env.TALKJS_SECRET_KEY;
  const emu = appId && secretKey ? undefined : createEmulator();
  const talk = emu
    ? createClient({
      appId: emu.appId,
      secretKey: emu.secretKey,
      baseUrl: emu.baseUrl,
      fetch: emu.fetch,
    })
    : createClient({
      appId: appId!,
      secretKey: secretKey!,
      baseUrl: process.env.TALKJS_BASE_URL || undefined,
    });

  const users = await loadUsers(process.argv[2]);
  console.log(
    `Importing ${Object.keys(users).length} users into ${
      emu ? "the emulator" : appId
    }`,
  );
  const summary = await importUsers(
    talk,
    users,
    ({ done, total, requests }) => {
      const line = `  ${done}/${total} users, ${requests} requests`;
      if (process.stdout.isTTY) process.stdout.write(`\r${line}`);
      else console.log(line);
    },
  );
  if (process.stdout.isTTY) process.stdout.write("\n");
  const stored = emu ? ` (the emulator holds ${emu.store.users().length})` : "";
  console.log(
    `Imported ${summary.users} users in ${summary.requests} requests, ${summary.ms} ms${stored}`,
  );
}
