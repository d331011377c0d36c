/**
 * The demo: export a TalkJS app (users, conversations and every
 * conversation's messages) to NDJSON files, through the client's default
 * limiter and retries, resumable after an interruption.
 *
 * Without credentials it starts the in-memory emulator, seeds it with a
 * realistic dataset (2,000 users, 300 conversations, 10,000 messages) through
 * the client, and exports that. TalkJS's limits (a burst of 600, then 9
 * requests/s) would make this take minutes, so time runs faster in the demo:
 * the client and the emulator share a clock that runs `--speed` times faster
 * than the wall clock (default 25), and the limiter paces to 9 requests/s of
 * that clock. With `TALKJS_APP_ID` and `TALKJS_SECRET_KEY` set it exports the
 * real app instead (read-only), in real time.
 *
 * ```sh
 * npx -y deno@2.9.6 task demo                  # emulator
 * npx -y deno@2.9.6 task demo --out out/mine   # another folder
 * npx -y deno@2.9.6 task demo --stop-after 30  # stop after 30 saved steps (then run again: it resumes)
 * ```
 *
 * @module
 */
import {
  type Clock,
  createClient,
  paginate,
  TalkJsApiError,
  type TalkJsClient,
  type UserInput,
} from "../mod.ts";
import { createEmulator } from "../testing.ts";

interface State {
  phase: "users" | "conversations" | "messages" | "done";
  /** Last exported record ID of the current list. */
  cursor?: string;
  /** Index into conversations.ndjson during the messages phase. */
  conversation: number;
  /** Bytes of each file that belong to committed pages: a partly written page is cut off. */
  sizes: Record<string, number>;
  /** Where the current conversation's messages start, to redo it when its cursor is gone. */
  conversationStart: { size: number; count: number };
  counts: { users: number; conversations: number; messages: number };
}

/**
 * Thrown to stop after `--stop-after` saved steps (a page written, or a
 * conversation's messages finished), as an interruption right after that
 * save would.
 */
class Interrupted extends Error {}

const args = parseArgs(Deno.args);
const outDir = args.out ?? "out/export";
const speed = Number(args.speed ?? 25);
const stopAfter = args["stop-after"] === undefined
  ? Infinity
  : Number(args["stop-after"]);
if (
  !(Number.isInteger(stopAfter) && stopAfter >= 1) && stopAfter !== Infinity
) {
  throw new RangeError(
    `--stop-after must be a whole number of steps >= 1: current value is ${
      args["stop-after"]
    }`,
  );
}
if (!(speed >= 1)) {
  throw new RangeError(
    `--speed must be a number >= 1: current value is ${args.speed}`,
  );
}

const appId = Deno.env.get("TALKJS_APP_ID");
const secretKey = Deno.env.get("TALKJS_SECRET_KEY");
const real = Boolean(appId && secretKey);

let requests = 0;
let rateLimited = 0;
let retries = 0;
const counting = (inner: typeof fetch): typeof fetch => async (input, init) => {
  requests++;
  const response = await inner(input, init);
  if (response.status === 429) rateLimited++;
  return response;
};

const startedAt = performance.now();
let talk: TalkJsClient;
let clock: Clock;
let seeded:
  | { users: number; conversations: number; messages: number }
  | undefined;

if (real) {
  clock = { now: () => Date.now(), sleep: (ms, s) => sleep(ms, s) };
  talk = createClient({
    appId: appId!,
    secretKey: secretKey!,
    fetch: counting(fetch),
    retry: { onRetry: () => retries++ },
  });
  log(
    `Exporting TalkJS app ${appId} (read-only, real rate limits) to ${outDir}/`,
  );
} else {
  clock = scaledClock(speed);
  const emu = createEmulator({ clock });
  talk = createClient({
    appId: emu.appId,
    secretKey: emu.secretKey,
    baseUrl: emu.baseUrl,
    fetch: counting(emu.fetch),
    clock,
    retry: { onRetry: () => retries++ },
  });
  log(
    `No TALKJS_APP_ID/TALKJS_SECRET_KEY: running against the in-memory emulator with TalkJS's ` +
      `rate limits (burst 600, 9 requests/s), time running ${speed}x faster than the wall clock.`,
  );
  await seed(talk);
  // What the emulator really holds, to check the export against.
  seeded = {
    users: emu.store.users().length,
    conversations: emu.store.conversations().length,
    messages: emu.store.messages().length,
  };
  log(
    `Seeded ${seeded.users} users, ${seeded.conversations} conversations, ` +
      `${seeded.messages} messages in ${requests} requests.`,
  );
}
const seedRequests = requests;
const exportStartedAt = performance.now();
const virtualStart = clock.now();

await Deno.mkdir(outDir, { recursive: true });
const statePath = `${outDir}/state.json`;
let state: State = await readState();
if (state.phase === "done") state = freshState();
else if (
  state.counts.users + state.counts.conversations + state.counts.messages > 0
) {
  const where = state.cursor !== undefined
    ? `after ${state.cursor}`
    : state.phase === "messages"
    ? `at conversation ${state.conversation + 1}`
    : "at the start";
  log(
    `Resuming: ${state.phase} ${where} ` +
      `(${state.counts.users} users, ${state.counts.conversations} conversations, ` +
      `${state.counts.messages} messages already exported).`,
  );
}
for (const name of ["users", "conversations", "messages"]) {
  await truncate(`${outDir}/${name}.ndjson`, state.sizes[name] ?? 0);
}

let steps = 0;
const progress = setInterval(report, 500);
try {
  if (state.phase === "users") {
    await exportList("users", talk.users.list, {});
    state.phase = "conversations";
    delete state.cursor;
    await saveState();
  }
  if (state.phase === "conversations") {
    // By creation: a conversation that gets a message during the export
    // would move in the default order (last activity) and be missed or
    // exported twice.
    await exportList("conversations", talk.conversations.list, {
      orderBy: "createdAt",
    });
    state.phase = "messages";
    delete state.cursor;
    await saveState();
  }
  if (state.phase === "messages") {
    const ids = (await Deno.readTextFile(`${outDir}/conversations.ndjson`))
      .split("\n")
      .filter(Boolean).map((line) => (JSON.parse(line) as { id: string }).id);
    while (state.conversation < ids.length) {
      const conversationId = ids[state.conversation]!;
      try {
        await exportList("messages", talk.messages.list, { conversationId });
      } catch (error) {
        // A cursor from an earlier run that this app no longer knows (an emulator
        // seeded anew makes new message IDs): redo this one conversation.
        if (
          !(error instanceof TalkJsApiError && error.status === 400 &&
            state.cursor)
        ) throw error;
        log(
          `Cursor ${state.cursor} is unknown now; exporting ${conversationId} again.`,
        );
        delete state.cursor;
        state.sizes.messages = state.conversationStart.size;
        state.counts.messages = state.conversationStart.count;
        await truncate(`${outDir}/messages.ndjson`, state.sizes.messages);
        await exportList("messages", talk.messages.list, { conversationId });
      }
      // Done with this conversation: the saved state points at the next one,
      // so an interruption from here on never exports this one again.
      state.conversation++;
      delete state.cursor;
      state.conversationStart = {
        size: state.sizes.messages ?? 0,
        count: state.counts.messages,
      };
      await saveState();
      if (++steps >= stopAfter) throw new Interrupted();
    }
    state.phase = "done";
    await saveState();
  }
} catch (error) {
  if (!(error instanceof Interrupted)) throw error;
  clearInterval(progress);
  report();
  console.error(
    `\nStopped after ${steps} steps (--stop-after). Run the same command again to resume.`,
  );
  Deno.exit(0);
} finally {
  clearInterval(progress);
}
report();
console.error("");

const elapsed = (performance.now() - exportStartedAt) / 1000;
const virtual = (clock.now() - virtualStart) / 1000;
const rows: [string, string, string, string][] = [[
  "kind",
  "exported",
  "seeded",
  "match",
]];
for (const kind of ["users", "conversations", "messages"] as const) {
  const { lines, unique } = await countIds(`${outDir}/${kind}.ndjson`);
  const expected = seeded?.[kind];
  const ok = unique === lines && (expected === undefined || lines === expected);
  rows.push([
    kind,
    unique === lines ? String(lines) : `${lines} (${lines - unique} twice)`,
    expected === undefined ? "-" : String(expected),
    ok ? "yes" : "NO",
  ]);
}
const table = rows.map((r) =>
  `| ${r[0].padEnd(13)} | ${r[1].padStart(8)} | ${r[2].padStart(6)} | ${
    r[3].padEnd(5)
  } |`
);
table.splice(1, 0, "|---------------|----------|--------|-------|");
console.log(table.join("\n"));
console.log("");
console.log(`requests (export)   ${requests - seedRequests}`);
console.log(`requests (seeding)  ${seedRequests}`);
console.log(`429 answers         ${rateLimited}`);
console.log(`retries             ${retries}`);
console.log(
  `elapsed (export)    ${elapsed.toFixed(1)} s wall clock` +
    (real ? "" : `, ${virtual.toFixed(1)} s at TalkJS's rate (${speed}x)`),
);
console.log(
  `total               ${
    ((performance.now() - startedAt) / 1000).toFixed(1)
  } s`,
);
console.log(
  `files               ${outDir}/users.ndjson, conversations.ndjson, messages.ndjson`,
);
if (rows.some((r) => r[3] === "NO")) {
  console.error("Export does not match the seeded data.");
  Deno.exit(1);
}

// --- export ----------------------------------------------------------------

async function exportList<T extends { id: string }, P>(
  kind: "users" | "conversations" | "messages",
  list: Parameters<typeof paginate<T, P>>[0],
  params: P,
): Promise<void> {
  const path = `${outDir}/${kind}.ndjson`;
  const file = await Deno.open(path, { append: true, create: true });
  try {
    const pageParams = {
      ...params,
      ...(state.cursor ? { startingAfter: state.cursor } : {}),
    };
    for await (const page of paginate(list, pageParams as never)) {
      if (page.length === 0) break;
      const text = page.map((record) => JSON.stringify(record)).join("\n") +
        "\n";
      await writeAll(file, new TextEncoder().encode(text));
      state.cursor = (page[page.length - 1] as T).id;
      state.counts[kind] += page.length;
      state.sizes[kind] = (state.sizes[kind] ?? 0) +
        new TextEncoder().encode(text).length;
      await saveState();
      if (++steps >= stopAfter) throw new Interrupted();
    }
  } finally {
    file.close();
  }
}

function report(): void {
  const seconds = (performance.now() - exportStartedAt) / 1000;
  const done = state.counts.users + state.counts.conversations +
    state.counts.messages;
  const rate = (requests - seedRequests) / Math.max(seconds, 0.001);
  Deno.stderr.writeSync(new TextEncoder().encode(
    `\r${state.phase.padEnd(13)} ${String(done).padStart(6)} items  ` +
      `${String(requests - seedRequests).padStart(5)} requests  ${
        rate.toFixed(0).padStart(4)
      } req/s  ` +
      `${rateLimited} x 429   `,
  ));
}

function freshState(): State {
  return {
    phase: "users",
    conversation: 0,
    sizes: {},
    conversationStart: { size: 0, count: 0 },
    counts: { users: 0, conversations: 0, messages: 0 },
  };
}

async function readState(): Promise<State> {
  try {
    return JSON.parse(await Deno.readTextFile(statePath)) as State;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return freshState();
    throw error;
  }
}

async function saveState(): Promise<void> {
  // Written to a temporary file and renamed, so an interruption never leaves half a state.
  await Deno.writeTextFile(`${statePath}.tmp`, JSON.stringify(state));
  await Deno.rename(`${statePath}.tmp`, statePath);
}

async function truncate(path: string, size: number): Promise<void> {
  try {
    await Deno.truncate(path, size);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    if (size > 0) {
      throw new Error(`${path} is missing; delete ${statePath} to start over`);
    }
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await file.write(bytes.subarray(off));
}

async function countIds(
  path: string,
): Promise<{ lines: number; unique: number }> {
  const lines = (await Deno.readTextFile(path)).split("\n").filter(Boolean);
  const ids = new Set(
    lines.map((line) => (JSON.parse(line) as { id: string }).id),
  );
  return { lines: lines.length, unique: ids.size };
}

// --- seeding (emulator only) -------------------------------------------------

async function seed(talk: TalkJsClient): Promise<void> {
  const random = mulberry32(20261125);
  const pick = <T>(items: readonly T[]): T =>
    items[Math.floor(random() * items.length)]!;
  const first = [
    "Ada",
    "Ben",
    "Chloe",
    "Dev",
    "Eva",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jon",
    "Kemi",
    "Luis",
  ];
  const last = [
    "Okafor",
    "Smith",
    "Tanaka",
    "Garcia",
    "Novak",
    "Haddad",
    "Kim",
    "Berg",
    "Rossi",
  ];
  const users: Record<string, UserInput> = {};
  for (let i = 0; i < 2000; i++) {
    const name = `${pick(first)} ${pick(last)}`;
    users[`user_${String(i).padStart(4, "0")}`] = {
      name,
      email: [`${name.toLowerCase().replace(" ", ".")}.${i}@example.com`],
      role: random() < 0.1 ? "support" : "customer",
      custom: { plan: pick(["free", "pro", "team"]) },
    };
  }
  const userIds = Object.keys(users);
  await talk.users.putMany(users);

  const conversations: { id: string; participants: string[] }[] = [];
  for (let i = 0; i < 300; i++) {
    const size = 2 + Math.floor(random() * 4);
    const participants = new Set<string>();
    while (participants.size < size) participants.add(pick(userIds));
    conversations.push({
      id: `conv_${String(i).padStart(3, "0")}`,
      participants: [...participants],
    });
  }
  // One at a time, so that a re-run seeds the same order and a saved cursor means the same place.
  await pool(conversations, 1, (c) =>
    talk.conversations.put(c.id, {
      participants: c.participants,
      subject: `Order #${1000 + Math.floor(random() * 9000)}`,
      custom: { channel: pick(["web", "app"]) },
    }));

  // 10,000 messages, spread unevenly over the conversations.
  const perConversation = new Map<
    string,
    { type: "UserMessage"; sender: string; text: string }[]
  >();
  for (let i = 0; i < 10_000; i++) {
    const c = conversations[
      Math.floor(Math.pow(random(), 1.5) * conversations.length)
    ]!;
    const list = perConversation.get(c.id) ?? [];
    list.push({
      type: "UserMessage",
      sender: pick(c.participants),
      text: `Message ${i}: ${
        pick(["Hi!", "Any update?", "Thanks", "Shipped today", "On my way"])
      }`,
    });
    perConversation.set(c.id, list);
  }
  await pool(
    [...perConversation],
    8,
    ([id, messages]) => talk.messages.send(id, messages),
  );
}

async function pool<T>(
  items: readonly T[],
  size: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: size }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// --- time and arguments ------------------------------------------------------

/** A clock whose time runs `factor` times faster than the wall clock. */
function scaledClock(factor: number): Clock {
  const origin = Date.now();
  const start = performance.now();
  return {
    now: () => origin + (performance.now() - start) * factor,
    sleep: (ms, signal) => sleep(ms / factor, signal),
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const id = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(id);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      throw new TypeError(`Unexpected argument: ${arg}`);
    }
    const [name, value] = arg.slice(2).split("=", 2);
    if (!["out", "speed", "stop-after"].includes(name!)) {
      throw new TypeError(
        `Unknown option --${name}; known: --out, --speed, --stop-after`,
      );
    }
    out[name!] = value ?? argv[++i] ?? "";
  }
  return out;
}

function log(message: string): void {
  console.error(message);
}
