/**
 * The demo: export a TalkJS app (users, conversations and every
 * conversation's messages) to NDJSON files, through the client's limiter and
 * retries, resumable after an interruption.
 *
 * Without credentials it starts the in-memory emulator, seeds it with a
 * realistic dataset (2,000 users, 300 conversations, 10,000 messages) through
 * the client, and exports that. TalkJS's limits (a burst of 600, then 9
 * requests/s) would make this take minutes, so time runs faster in the demo:
 * the client and the emulator share a clock that runs `--speed` times faster
 * than the wall clock (default 25), and the limiter paces to 9 requests/s of
 * that clock. The seeded data is the same on every run (the emulator's IDs
 * are seeded, and it is seeded one request at a time on a clock of its own),
 * so a resumed export continues exactly where the last one stopped.
 *
 * With `TALKJS_APP_ID` and `TALKJS_SECRET_KEY` set it exports that app
 * instead (read-only), in real time; `TALKJS_BASE_URL` points it elsewhere,
 * e.g. at `deno task emulator`.
 *
 * ```sh
 * npx -y deno@2.9.6 task demo                  # emulator
 * npx -y deno@2.9.6 task demo --out out/mine   # another folder
 * npx -y deno@2.9.6 task demo --stop-after 30  # stop after 30 saved steps (then run again: it resumes)
 * npx -y deno@2.9.6 task demo --help
 * ```
 *
 * @module
 */
import {
  type Clock,
  createClient,
  createLimiter,
  paginate,
  TalkJsApiError,
  type TalkJsClient,
  type UserInput,
} from "../mod.ts";
import { createEmulator } from "../testing.ts";

const USAGE = `Usage: deno task demo [--out DIR] [--speed N] [--stop-after N]

Exports a TalkJS app's users, conversations and messages to DIR/*.ndjson,
page by page through the client's limiter, and resumes where it stopped.

  --out DIR         where the files and state.json go (default out/export)
  --speed N         emulator only: time runs N times faster (default 25)
  --stop-after N    stop after N saved steps (a page, or a conversation done),
                    as an interruption would; run again to resume
  -h, --help        this help

Without TALKJS_APP_ID and TALKJS_SECRET_KEY it seeds an in-memory emulator
(the same data on every run) and exports that, with TalkJS's rate limits.
With them it exports that app, read-only; TALKJS_BASE_URL points it at
another server, e.g. deno task emulator (the task lets it reach 127.0.0.1,
localhost and api.talkjs.com). Ctrl-C stops it; run again to resume.`;

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
  /** What was exported: a resumed run must export the same app. */
  source?: string;
}

type Counts = State["counts"];

/**
 * Thrown to stop after `--stop-after` saved steps (a page written, or a
 * conversation's messages finished), as an interruption right after that
 * save would.
 */
class Interrupted extends Error {}

/** TalkJS's budget, as the client's default limiter paces it. */
const BURST = 600;
const PER_SECOND = 9;
/** Where the emulator's clock starts while seeding: the same dates on every run. */
const SEED_EPOCH = Date.UTC(2025, 0, 1);

const args = parseArgs(Deno.args);
const outDir = args.out ?? "out/export";
const speed = args.speed;
const stopAfter = args.stopAfter;
const statePath = `${outDir}/state.json`;

const appId = Deno.env.get("TALKJS_APP_ID");
const secretKey = Deno.env.get("TALKJS_SECRET_KEY");
const baseUrl = Deno.env.get("TALKJS_BASE_URL") || undefined;
const real = Boolean(appId && secretKey);
const source = real
  ? `app ${appId} at ${baseUrl ?? "https://api.talkjs.com"}`
  : "the seeded emulator";

// Ctrl-C aborts whatever request is in flight; what was saved stays saved.
const stop = new AbortController();
Deno.addSignalListener("SIGINT", onInterrupt);

const startedAt = performance.now();
const clock: Clock = real ? realClock() : scaledClock(speed);
const limiter = createLimiter({ clock });
const counters = { requests: 0, retries: 0, rateLimited: 0, queuedMs: 0 };
const budget = createBudgetEstimate();
const hooks = {
  onRequest({ attempt, queuedMs }: { attempt: number; queuedMs: number }) {
    counters.requests++;
    counters.queuedMs += queuedMs;
    if (attempt > 1) counters.retries++;
    budget.spend(clock.now());
  },
  onResponse({ status }: { status?: number }) {
    if (status === 429) counters.rateLimited++;
  },
};
const status = createStatusLine();

let talk: TalkJsClient;
let seeded: Counts | undefined;
/** Emulator only: how many messages each conversation holds, for the ETA. */
let seededMessages: Map<string, number> | undefined;
let conversationOrder: string[] = [];
/** Requests and conversation index when this run's messages phase began. */
const messagesFrom = { requests: 0, conversation: 0 };
const state: State = await loadState();

if (real) {
  talk = createClient({
    appId: appId!,
    secretKey: secretKey!,
    baseUrl,
    limiter,
    ...hooks,
  });
  log(
    `Exporting TalkJS app ${appId}${
      baseUrl ? ` at ${baseUrl}` : ""
    } (read-only, real rate limits) to ${outDir}/`,
  );
} else {
  log(
    `No TALKJS_APP_ID/TALKJS_SECRET_KEY: exporting an in-memory emulator with TalkJS's ` +
      `rate limits (burst ${BURST}, ${PER_SECOND} requests/s), time running ${speed}x faster than the wall clock.`,
  );
  ({ talk, seeded, seededMessages } = await seedEmulator());
}

const seedRequests = counters.requests;
const seedQueuedMs = counters.queuedMs;
const exportStartedAt = performance.now();
const virtualStart = clock.now();
let steps = 0;
log(
  `ETA = requests left ÷ ${PER_SECOND}/s after what is left of the limiter's burst of ${BURST}, or ÷ the pace so far when slower; ` +
    (seeded
      ? "requests left are estimated from the seeded counts (a page per 100 records, one more per list)."
      : "requests left are estimated once the conversations are listed (a page per conversation, and the pages per conversation so far)."),
);
const ticker = setInterval(
  () => status.update(exportLine()),
  status.tty ? 250 : 1000,
);
try {
  // Saved before the first request, so that an interruption at any point
  // of the export leaves a state to resume from (and the message true).
  await prepareFiles();
  await saveState();
  await exportAll();
} catch (error) {
  clearInterval(ticker);
  status.update(exportLine(), true);
  if (error instanceof Interrupted) {
    log(
      `Stopped after ${steps} steps (--stop-after) ${where()}. Run the same command again to resume.`,
    );
    Deno.exit(0);
  }
  if (stop.signal.aborted) {
    log(
      `Interrupted (Ctrl-C) ${where()}; everything up to there is saved in ${statePath}. ` +
        `Run the same command again to resume from there.`,
    );
    Deno.exit(130);
  }
  // Anything else (the server down, a refused key): one line, and the way
  // on, instead of a stack trace.
  log(
    `Stopped ${where()} by an error: ${
      error instanceof Error ? error.message : String(error)
    }. Everything up to there is saved in ${statePath}: run the same command ` +
      `again to resume, or remove ${outDir}/ to start over.`,
  );
  Deno.exit(1);
}
clearInterval(ticker);
status.update(exportLine(), true);
Deno.removeSignalListener("SIGINT", onInterrupt);
await summary();

// --- export ----------------------------------------------------------------

async function exportAll(): Promise<void> {
  if (state.phase === "users") {
    await exportWholeList("users", talk.users.list, {});
    await nextPhase("conversations");
  }
  if (state.phase === "conversations") {
    // By creation: a conversation that gets a message during the export
    // would move in the default order (last activity) and be missed or
    // exported twice.
    await exportWholeList("conversations", talk.conversations.list, {
      orderBy: "createdAt",
    });
    await nextPhase("messages");
  }
  if (state.phase === "messages") {
    const ids = conversationOrder = await conversationIds();
    messagesFrom.requests = counters.requests;
    messagesFrom.conversation = state.conversation;
    while (state.conversation < ids.length) {
      await exportMessages(ids[state.conversation]!);
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
    await nextPhase("done");
  }
}

async function nextPhase(phase: State["phase"]): Promise<void> {
  status.update(exportLine(), true);
  state.phase = phase;
  delete state.cursor;
  await saveState();
}

async function exportMessages(conversationId: string): Promise<void> {
  try {
    await exportList("messages", talk.messages.list, { conversationId });
  } catch (error) {
    // A conversation deleted since it was listed: nothing to export.
    if (error instanceof TalkJsApiError && error.status === 404) {
      log(`Conversation ${conversationId} is gone now; skipping it.`);
      return;
    }
    // A cursor from an earlier run that this app no longer knows (the
    // message was deleted since): redo this one conversation.
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
}

/**
 * A whole list, from its saved cursor. A cursor the app no longer knows
 * (that record was deleted since) is a 400: the list is exported again
 * from its start, its file cut back to nothing.
 */
async function exportWholeList<T extends { id: string }, P>(
  kind: "users" | "conversations",
  list: Parameters<typeof paginate<T, P>>[0],
  params: P,
): Promise<void> {
  try {
    await exportList(kind, list, params);
  } catch (error) {
    if (
      !(error instanceof TalkJsApiError && error.status === 400 &&
        state.cursor)
    ) throw error;
    log(`Cursor ${state.cursor} is unknown now; exporting ${kind} again.`);
    delete state.cursor;
    state.sizes[kind] = 0;
    state.counts[kind] = 0;
    await truncate(`${outDir}/${kind}.ndjson`, 0);
    await exportList(kind, list, params);
  }
}

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
      signal: stop.signal,
      ...(state.cursor ? { startingAfter: state.cursor } : {}),
    };
    for await (const page of paginate(list, pageParams as never)) {
      if (page.length === 0) break;
      const bytes = new TextEncoder().encode(
        page.map((record) => JSON.stringify(record)).join("\n") + "\n",
      );
      await writeAll(file, bytes);
      state.cursor = (page[page.length - 1] as T).id;
      state.counts[kind] += page.length;
      state.sizes[kind] = (state.sizes[kind] ?? 0) + bytes.length;
      await saveState();
      if (++steps >= stopAfter) throw new Interrupted();
    }
  } finally {
    file.close();
  }
}

async function conversationIds(): Promise<string[]> {
  return (await Deno.readTextFile(`${outDir}/conversations.ndjson`))
    .split("\n").filter(Boolean)
    .map((line) => (JSON.parse(line) as { id: string }).id);
}

// --- state -----------------------------------------------------------------

function freshState(): State {
  return {
    source,
    phase: "users",
    conversation: 0,
    sizes: {},
    conversationStart: { size: 0, count: 0 },
    counts: { users: 0, conversations: 0, messages: 0 },
  };
}

/** Reads the saved state, says whether this run starts fresh or resumes, and cuts off unsaved bytes. */
async function loadState(): Promise<State> {
  await Deno.mkdir(outDir, { recursive: true });
  let saved: State | undefined;
  try {
    saved = JSON.parse(await Deno.readTextFile(statePath)) as State;
  } catch (error) {
    if (error instanceof SyntaxError) {
      // Not overwritten: the files beside it may be all that is left.
      log(
        `${statePath} is not the state this demo saves (${error.message}): ` +
          `move ${outDir}/ away or remove it to start over, or pass another --out.`,
      );
      Deno.exit(1);
    }
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  let next: State;
  if (!saved) {
    log(`Starting a fresh export into ${outDir}/ (no ${statePath} yet).`);
    next = freshState();
  } else if (saved.phase === "done") {
    log(
      `The export in ${outDir}/ is complete; starting a fresh one over it.`,
    );
    next = freshState();
  } else if ((saved.source ?? "the seeded emulator") !== source) {
    log(
      `The export in ${outDir}/ is of ${
        saved.source ?? "the seeded emulator"
      }, not ${source}; starting a fresh one over it.`,
    );
    next = freshState();
  } else {
    next = saved;
    const { users, conversations, messages } = saved.counts;
    log(
      `Resuming the export in ${outDir}/ from ${statePath}: ${
        describe(saved)
      } (${users} users, ${conversations} conversations, ${messages} messages already exported).`,
    );
  }
  return next;
}

/**
 * Cuts each file back to what the state counts as saved (a fresh export:
 * to nothing). Done when the export starts, not before seeding: an
 * interruption while seeding leaves every file as it was.
 */
async function prepareFiles(): Promise<void> {
  for (const name of ["users", "conversations", "messages"]) {
    await truncate(`${outDir}/${name}.ndjson`, state.sizes[name] ?? 0);
  }
}

/** Where a state stands: "messages of conversation 46 of 300, after msg_…". */
function describe(s: State): string {
  const after = s.cursor === undefined ? "" : `, after ${s.cursor}`;
  if (s.phase === "messages") {
    return `messages of conversation ${
      s.conversation + 1
    } of ${s.counts.conversations}${after}`;
  }
  return s.cursor === undefined
    ? `${s.phase}, from the start`
    : `${s.phase}${after}`;
}

function where(): string {
  return `at ${describe(state)}`;
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

// --- progress and ETA --------------------------------------------------------

/**
 * What is left of the limiter's budget, as its GCRA books it: a burst of
 * `BURST`, refilled at `PER_SECOND` (an estimate from the requests this
 * process sent; another process on the same app would use some too).
 */
function createBudgetEstimate() {
  const intervalMs = 1000 / PER_SECOND;
  let tat = -Infinity;
  return {
    spend(now: number) {
      tat = Math.max(tat, now) + intervalMs;
    },
    left(now: number): number {
      const slots = (now + BURST * intervalMs - Math.max(tat, now)) /
        intervalMs;
      return Math.max(0, Math.min(BURST, Math.floor(slots)));
    },
  };
}

/** Requests the export still needs, estimated from what is known; undefined when too little is. */
function requestsLeft(): number | undefined {
  const pages = (total: number, done: number) =>
    Math.floor(Math.max(0, total - done) / 100) + 1;
  const { phase, counts } = state;
  if (phase === "done") return 0;
  const total = seeded ?? {
    users: undefined,
    conversations: phase === "messages" ? counts.conversations : undefined,
    messages: undefined,
  };
  if (total.conversations === undefined) return undefined;
  let left = 0;
  if (phase === "users") left += pages(total.users ?? Infinity, counts.users);
  if (phase !== "messages") {
    left += pages(
      total.conversations,
      phase === "conversations" ? counts.conversations : 0,
    );
  }
  if (seededMessages) {
    // Known exactly: a page per 100 messages, one more per conversation.
    if (phase !== "messages") {
      left += total.conversations - seededMessages.size;
      for (const n of seededMessages.values()) left += pages(n, 0);
    }
    for (
      const [i, id] of conversationOrder.slice(state.conversation).entries()
    ) {
      const done = i === 0
        ? counts.messages - state.conversationStart.count
        : 0;
      left += pages(seededMessages.get(id) ?? 0, done);
    }
  } else {
    // Pages per conversation so far in this run, at least one.
    const conversationsLeft = total.conversations -
      (phase === "messages" ? state.conversation : 0);
    const perConversation = Math.max(
      1,
      (counters.requests - messagesFrom.requests) /
        Math.max(1, state.conversation - messagesFrom.conversation),
    );
    left += Math.ceil(conversationsLeft * perConversation);
  }
  return Number.isFinite(left) ? left : undefined;
}

function exportLine(): string {
  const sent = counters.requests - seedRequests;
  const seconds = (performance.now() - exportStartedAt) / 1000;
  const done = state.counts.users + state.counts.conversations +
    state.counts.messages;
  const total = state.counts.conversations;
  const at = state.phase === "messages"
    ? `conversation ${Math.min(state.conversation + 1, total)}/${total}`
    : state.phase;
  const left = requestsLeft();
  let eta = "ETA once the conversations are listed";
  if (left !== undefined) {
    // The budget bounds it from below; so does the pace seen so far (the
    // server's answers take time too, when the budget is no limit).
    const waitMs = Math.max(0, left - budget.left(clock.now())) *
      (1000 / PER_SECOND);
    const budgetSeconds = real ? waitMs / 1000 : waitMs / 1000 / speed;
    const paceSeconds = sent > 0 ? left / (sent / Math.max(seconds, 0.001)) : 0;
    eta = `ETA ${
      formatSeconds(Math.max(budgetSeconds, paceSeconds))
    } (~${left} requests left)`;
  }
  return `export ${at}: ${done} records, ${sent} requests (${
    (sent / Math.max(seconds, 0.001)).toFixed(0)
  }/s, ${counters.rateLimited} x 429), ${eta}`;
}

function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  return `${Math.floor(s / 60)} min ${
    String(Math.round(s % 60)).padStart(2, "0")
  } s`;
}

/**
 * One status line: redrawn in place on a terminal, else one line per change
 * (a log file or a pipe gets every update, each phase included).
 */
function createStatusLine() {
  const tty = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  let last = "";
  let width = 0;
  return {
    tty,
    update(line: string, final = false) {
      if (line === last && !final) return;
      if (tty) {
        const text = `\r${line.padEnd(width)}${final ? "\n" : ""}`;
        width = final ? 0 : line.length;
        Deno.stderr.writeSync(encoder.encode(text));
      } else if (line !== last) {
        Deno.stderr.writeSync(encoder.encode(line + "\n"));
      }
      last = final ? "" : line;
    },
  };
}

async function summary(): Promise<void> {
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
    const ok = unique === lines &&
      (expected === undefined || lines === expected);
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
  console.log(`requests (export)   ${counters.requests - seedRequests}`);
  console.log(`requests (seeding)  ${seedRequests}`);
  console.log(`429 answers         ${counters.rateLimited}`);
  console.log(`retries             ${counters.retries}`);
  console.log(
    `waited in limiter   ${
      ((counters.queuedMs - seedQueuedMs) / 1000).toFixed(1)
    } s` + (real ? "" : ` at TalkJS's rate`),
  );
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

function onInterrupt(): void {
  if (stop.signal.aborted) {
    // A second Ctrl-C: now, with what the last save holds.
    log(
      `Stopped at once (a second Ctrl-C); ${statePath} holds the last saved step: run the same command again to resume from there.`,
    );
    Deno.exit(130);
  }
  stop.abort(new DOMException("interrupted (Ctrl-C)", "AbortError"));
}

// --- seeding (emulator only) -------------------------------------------------

/**
 * Starts the emulator and seeds it through the client. The data is the same
 * on every run, so a saved cursor means the same place: the emulator's
 * message IDs are seeded, requests go one at a time (the same order), and
 * the emulator's clock stands on `SEED_EPOCH`, moving only 10 ms per request
 * and by its own rate-limit waits, so no wall-clock timing reaches a
 * `createdAt`. The seeding client shares the export's limiter, so the export
 * starts with what seeding left of TalkJS's budget. Once seeded, the
 * emulator's clock is the demo's scaled clock.
 */
async function seedEmulator(): Promise<
  { talk: TalkJsClient; seeded: Counts; seededMessages: Map<string, number> }
> {
  const emuClock = switchableClock(SEED_EPOCH);
  const emu = createEmulator({ clock: emuClock });
  const seeding = createClient({
    appId: emu.appId,
    secretKey: emu.secretKey,
    // The key itself, not tokens: a token's times would come from the
    // demo's clock, not the emulator's.
    auth: "secret-key",
    // In process, nothing times out; on the scaled clock 30 s would be a
    // fraction of a second, and a retried request would move the emulator's
    // clock.
    timeoutMs: 30_000 * speed,
    baseUrl: emu.baseUrl,
    fetch: (input, init) => {
      emuClock.tick(10);
      return emu.fetch(input, init);
    },
    clock,
    limiter,
    ...hooks,
  });
  const progress = { users: 0, conversations: 0, messages: 0 };
  const line = () =>
    `seeding: ${progress.users}/2000 users, ${progress.conversations}/300 conversations, ` +
    `${progress.messages}/10000 messages (${counters.requests} requests)`;
  const ticker = setInterval(
    () => status.update(line()),
    status.tty ? 250 : 1000,
  );
  try {
    await seed(seeding, progress, stop.signal, () => status.update(line()));
  } catch (error) {
    if (!stop.signal.aborted) throw error;
    clearInterval(ticker);
    status.update(line(), true);
    log(
      "Interrupted (Ctrl-C) while seeding the emulator: no export step ran in this run, " +
        "and what earlier runs saved is untouched. Run the same command again to resume.",
    );
    Deno.exit(130);
  } finally {
    clearInterval(ticker);
  }
  status.update(line(), true);
  emuClock.goLive(clock);
  const counts = {
    users: emu.store.users().length,
    conversations: emu.store.conversations().length,
    messages: emu.store.messages().length,
  };
  log(
    `Seeded ${counts.users} users, ${counts.conversations} conversations, ` +
      `${counts.messages} messages in ${counters.requests} requests.`,
  );
  const talk = createClient({
    appId: emu.appId,
    secretKey: emu.secretKey,
    baseUrl: emu.baseUrl,
    fetch: emu.fetch,
    clock,
    limiter,
    ...hooks,
  });
  const perConversation = new Map<string, number>();
  for (const m of emu.store.messages()) {
    perConversation.set(
      m.conversationId,
      (perConversation.get(m.conversationId) ?? 0) + 1,
    );
  }
  return { talk, seeded: counts, seededMessages: perConversation };
}

async function seed(
  talk: TalkJsClient,
  progress: Counts,
  signal: AbortSignal,
  onPhase: () => void,
): Promise<void> {
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
  await talk.users.putMany(users, {
    signal,
    onProgress: ({ done }) => progress.users = done,
  });
  onPhase();

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
  // One request at a time, in this order, so that every run stores the same
  // records in the same order, with the same IDs.
  for (const c of conversations) {
    await talk.conversations.put(c.id, {
      participants: c.participants,
      subject: `Order #${1000 + Math.floor(random() * 9000)}`,
      custom: { channel: pick(["web", "app"]) },
    }, { signal });
    progress.conversations++;
  }
  onPhase();

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
  for (const [id, messages] of perConversation) {
    const before = progress.messages;
    await talk.messages.send(id, messages, {
      signal,
      onProgress: ({ done }) => progress.messages = before + done,
    });
  }
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

function realClock(): Clock {
  return { now: () => Date.now(), sleep: (ms, s) => sleep(ms, s) };
}

/** A clock whose time runs `factor` times faster than the wall clock. */
function scaledClock(factor: number): Clock {
  const origin = Date.now();
  const start = performance.now();
  return {
    now: () => origin + (performance.now() - start) * factor,
    sleep: (ms, signal) => sleep(ms / factor, signal),
  };
}

/**
 * The emulator's clock: while seeding, a virtual time that moves only by
 * `tick` and by the emulator's own waits (which pass at once), so that
 * seeding stores the same times on every run; then `live`'s time.
 */
function switchableClock(start: number) {
  let virtual = start;
  let live: Clock | undefined;
  return {
    now: () => live ? live.now() : virtual,
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      if (live) return live.sleep(ms, signal);
      if (signal?.aborted) return Promise.reject(signal.reason);
      virtual += Math.max(0, ms);
      return Promise.resolve();
    },
    tick(ms: number) {
      if (!live) virtual += ms;
    },
    goLive(clock: Clock) {
      live = clock;
    },
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

/** Parses the flags; `--help` prints the usage, and a bad flag is one line and exit 2. */
function parseArgs(
  argv: string[],
): { out?: string; speed: number; stopAfter: number } {
  const bad = (message: string): never => {
    console.error(`${message} (see deno task demo --help)`);
    Deno.exit(2);
  };
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      Deno.exit(0);
    }
    const m = /^--(out|speed|stop-after)(?:=(.*))?$/.exec(arg);
    if (!m) {
      bad(
        arg.startsWith("-")
          ? `Unknown option ${
            arg.split("=")[0]
          }; known: --out, --speed, --stop-after, --help`
          : `Unexpected argument: ${arg}`,
      );
    }
    const value = m![2] ?? argv[++i];
    if (value === undefined || value === "") {
      bad(`Missing value for --${m![1]}`);
    }
    values[m![1]!] = value!;
  }
  const speed = Number(values.speed ?? 25);
  if (!(speed >= 1 && Number.isFinite(speed))) {
    bad(`--speed must be a number >= 1: current value is ${values.speed}`);
  }
  const stopAfter = values["stop-after"] === undefined
    ? Infinity
    : Number(values["stop-after"]);
  if (
    !(stopAfter === Infinity || (Number.isInteger(stopAfter) && stopAfter >= 1))
  ) {
    bad(
      `--stop-after must be a whole number of steps >= 1: current value is ${
        values["stop-after"]
      }`,
    );
  }
  return {
    ...(values.out === undefined ? {} : { out: values.out }),
    speed,
    stopAfter,
  };
}

function log(message: string): void {
  console.error(message);
}
