/**
 * The parity check: one scripted scenario, covering every endpoint, run
 * against two TalkJS APIs (TalkJS itself and the emulator), and every
 * difference in status code, answer shape (field names and types, not
 * values) and order of the scenario's own records. `bin/parity.ts` is its
 * command line.
 *
 * @module
 */
import { createClient, TalkJsApiError, type TalkJsClient } from "../mod.ts";
import type { HttpMethod, QueryValue } from "../src/client.ts";
import { compareShapes, type Shape, shapeOf } from "./_shape.ts";

/** An API to run the scenario against. */
export interface Target {
  /** Named in the report: `"TalkJS"`, `"emulator"`. */
  name: string;
  baseUrl: string;
  appId: string;
  secretKey: string;
  fetch?: typeof fetch;
}

/** What one step of the scenario saw. */
export interface Observation {
  step: string;
  /** `PUT /users/{userId}`: the endpoint, with the path's IDs as names. */
  endpoint: string;
  status: number;
  shape: Shape;
  /** The scenario's own records in a list answer, in the order answered. */
  order?: string[];
}

/** One difference between the two runs. */
export interface Difference {
  step: string;
  endpoint: string;
  /** What differs, said for a person: `status 200 vs 400`. */
  what: string;
}

/** Fields whose keys are data (user IDs, custom keys), not field names. */
const MAP_FIELDS = new Set(["participants", "custom", "pushTokens"]);

/**
 * Runs the scenario against `target`, with every record ID starting with
 * `prefix`, and answers what each step saw. Whatever the scenario created is
 * deleted (conversations) or emptied (users, which the API cannot delete)
 * before it returns, even when a step throws.
 */
export async function runScenario(
  target: Target,
  prefix: string,
  log: (line: string) => void = () => {},
): Promise<Observation[]> {
  const talk = createClient({
    appId: target.appId,
    secretKey: target.secretKey,
    baseUrl: target.baseUrl,
    ...(target.fetch ? { fetch: target.fetch } : {}),
  });
  const seen: Observation[] = [];
  const call = async (
    step: string,
    method: HttpMethod,
    path: string,
    init: { query?: Record<string, QueryValue>; body?: unknown } = {},
  ): Promise<unknown> => {
    const segments = path.split("/").filter(Boolean).map((s) =>
      s.startsWith("$") ? prefix + s.slice(1) : s
    );
    const endpoint = `${method} /${
      path.split("/").filter(Boolean).map((s) => s.startsWith("$") ? "{id}" : s)
        .join("/")
    }`;
    let status = 200;
    let answer: unknown;
    try {
      answer = await talk.request(method, segments, init);
    } catch (error) {
      if (!(error instanceof TalkJsApiError)) throw error;
      status = error.status;
      answer = error.body;
    }
    const observation: Observation = {
      step,
      endpoint,
      status,
      shape: shapeOf(answer, MAP_FIELDS),
    };
    const order = ownOrder(answer, prefix);
    if (order) observation.order = order;
    seen.push(observation);
    log(`${target.name}: ${step}: ${status}`);
    return status === 200 ? answer : undefined;
  };
  try {
    await scenario(call, talk, prefix);
  } finally {
    await cleanUp(call);
  }
  return seen;
}

type Call = (
  step: string,
  method: HttpMethod,
  path: string,
  init?: { query?: Record<string, QueryValue>; body?: unknown },
) => Promise<unknown>;

/** The scenario's own records of a list answer, by ID (messages: by text). */
function ownOrder(answer: unknown, prefix: string): string[] | undefined {
  const data = (answer as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return undefined;
  const out: string[] = [];
  for (const item of data as Record<string, unknown>[]) {
    const key = typeof item?.id === "string" && item.id.startsWith(prefix)
      ? item.id.slice(prefix.length)
      : typeof item?.text === "string" && item.text.startsWith("parity ")
      ? item.text
      : undefined;
    if (key !== undefined) out.push(key);
  }
  return out;
}

const USERS = ["u1", "u2", "u3"];
const CONVERSATIONS = ["c1", "c2"];

async function scenario(
  call: Call,
  _talk: TalkJsClient,
  prefix: string,
): Promise<void> {
  // ---- users ----
  await call("create a user with every field", "PUT", "users/$u1", {
    body: {
      name: "Parity One",
      photoUrl: "https://example.com/u1.png",
      welcomeMessage: "Hi from parity",
      role: "default",
      locale: "en-US",
      custom: { source: "parity" },
    },
  });
  await call("create users in one request", "PUT", "users", {
    body: {
      [prefix + "u2"]: { name: "Parity Two", custom: { source: "parity" } },
      [prefix + "u3"]: { name: "Parity Three" },
    },
  });
  await call("get a user", "GET", "users/$u1");
  await call("update a user, clearing fields", "PUT", "users/$u1", {
    body: { role: null, custom: { source: null } },
  });
  await call("get the updated user", "GET", "users/$u1");
  await call("list users", "GET", "users", { query: { limit: 3 } });
  await call("get an unknown user", "GET", "users/$nobody");
  await call("create a user without a name", "PUT", "users/$u4", {
    body: { role: "default" },
  });

  // ---- conversations and participants ----
  await call("create a conversation", "PUT", "conversations/$c1", {
    body: {
      participants: [prefix + "u1", prefix + "u2"],
      subject: "Parity one",
      custom: { source: "parity" },
      photoUrl: null,
      welcomeMessages: ["Welcome"],
    },
  });
  await call("create a second conversation", "PUT", "conversations/$c2", {
    body: { participants: [prefix + "u1"], subject: "Parity two" },
  });
  await call("get a conversation", "GET", "conversations/$c1");
  await call("get an unknown conversation", "GET", "conversations/$nothing");
  await call("add a participant", "PUT", "conversations/$c1/participants/$u3", {
    body: { access: "Read", notify: false },
  });
  await call(
    "update a participant",
    "PATCH",
    "conversations/$c1/participants/$u3",
    { body: { notify: "MentionsOnly" } },
  );

  // ---- messages ----
  const sent = await call(
    "send messages",
    "POST",
    "conversations/$c2/messages",
    {
      body: [
        { type: "UserMessage", sender: prefix + "u1", text: "parity hello" },
        { type: "SystemMessage", text: "parity system" },
      ],
    },
  );
  await call("send a message", "POST", "conversations/$c1/messages", {
    body: [{
      type: "UserMessage",
      sender: prefix + "u2",
      text: "parity reply",
      custom: { source: "parity" },
      idempotencyKey: prefix + "k1",
    }],
  });
  // TalkJS's own GIF example: upload (multipart `file` and `filename`),
  // then send the token without text.
  const form = new FormData();
  form.append(
    "file",
    new Blob([new TextEncoder().encode("GIF89a parity")], {
      type: "image/gif",
    }),
    "parity.gif",
  );
  form.append("filename", "parity.gif");
  const uploaded = await call("upload a file", "POST", "files", {
    body: form,
  });
  const token = (uploaded as { attachmentToken?: unknown } | undefined)
    ?.attachmentToken;
  await call("send a file", "POST", "conversations/$c1/messages", {
    body: [{
      type: "UserMessage",
      sender: prefix + "u1",
      attachmentToken: typeof token === "string" ? token : "unknown",
    }],
  });
  await call(
    "send from a non-participant",
    "POST",
    "conversations/$c1/messages",
    {
      body: [{ type: "UserMessage", sender: prefix + "u4", text: "parity no" }],
    },
  );
  await call("import messages", "POST", "import/conversations/$c1/messages", {
    body: [{
      type: "UserMessage",
      sender: prefix + "u1",
      text: "parity imported",
      timestamp: Date.UTC(2020, 0, 1),
      readBy: [prefix + "u2"],
    }],
  });
  await call("list messages", "GET", "conversations/$c2/messages");
  const first = Array.isArray(sent)
    ? (sent[0] as { id?: unknown } | undefined)?.id
    : undefined;
  const messageId = typeof first === "string" ? first : "unknown";
  const m = `conversations/$c2/messages/${encodeURIComponent(messageId)}`;
  await call("get a message", "GET", m);
  await call("edit a message", "PUT", m, {
    body: { text: "parity edited", custom: { edited: "yes" } },
  });
  await call("get the edited message", "GET", m);
  await call("delete a message", "DELETE", m);
  await call("get a deleted message", "GET", m);

  // ---- lists after activity ----
  await call("list conversations", "GET", "conversations", {
    query: { limit: 5 },
  });
  await call("list a user's conversations", "GET", "users/$u1/conversations");
  await call("list too many conversations", "GET", "conversations", {
    query: { limit: 1000 },
  });
  await call(
    "get a participant's email address",
    "GET",
    "conversations/$c1/participants/$u1/email",
  );
  await call(
    "get a non-participant's email address",
    "GET",
    "conversations/$c2/participants/$u2/email",
  );
  await call("list presences", "POST", "presences", {
    body: {
      userIds: [prefix + "u1", prefix + "u2"],
      includeBackgroundSessions: true,
    },
  });
  await call("notify", "POST", "conversations/$c1/notifications", {
    body: { channels: ["email"], recipients: [prefix + "u3"] },
  });

  // ---- batch ----
  await call("batch", "POST", "batch", {
    body: [
      [1, "GET", `/users/${prefix}u2`],
      [2, "PUT", `/users/${prefix}u3`, { role: "default" }],
      [3, "GET", "/conversations", { limit: 1 }],
      [4, "GET", `/users/${prefix}nobody`, {}, { api_version: "2021-02-09" }],
    ],
  });

  await call(
    "remove a participant",
    "DELETE",
    "conversations/$c1/participants/$u3",
  );
  await call("get the conversation after", "GET", "conversations/$c1");
}

/** Deletes the conversations and empties the users the scenario made. */
async function cleanUp(call: Call): Promise<void> {
  for (const id of CONVERSATIONS) {
    await call(`clean up: delete ${id}`, "DELETE", `conversations/$${id}`);
  }
  for (const id of USERS) {
    await call(`clean up: empty ${id}`, "PUT", `users/$${id}`, {
      body: {
        name: "[deleted]",
        photoUrl: null,
        welcomeMessage: null,
        role: null,
        custom: null,
      },
    });
  }
}

/** Every difference between two runs of the scenario, step by step. */
export function compareRuns(
  a: readonly Observation[],
  b: readonly Observation[],
  names: [string, string] = ["a", "b"],
): Difference[] {
  const out: Difference[] = [];
  const byStep = new Map(b.map((o) => [o.step, o]));
  for (const x of a) {
    const y = byStep.get(x.step);
    if (!y) {
      out.push({
        step: x.step,
        endpoint: x.endpoint,
        what: `ran on ${names[0]} only`,
      });
      continue;
    }
    byStep.delete(x.step);
    if (x.status !== y.status) {
      out.push({
        step: x.step,
        endpoint: x.endpoint,
        what: `status ${x.status} (${names[0]}) vs ${y.status} (${names[1]})`,
      });
    }
    for (const d of compareShapes(x.shape, y.shape)) {
      const show = (t: string[]) => t.length ? t.join(" | ") : "(missing)";
      out.push({
        step: x.step,
        endpoint: x.endpoint,
        what: `${d.path}: ${show(d.a)} (${names[0]}) vs ${show(d.b)} (${
          names[1]
        })`,
      });
    }
    if (x.order?.join() !== y.order?.join()) {
      out.push({
        step: x.step,
        endpoint: x.endpoint,
        what: `order ${JSON.stringify(x.order ?? [])} (${names[0]}) vs ${
          JSON.stringify(y.order ?? [])
        } (${names[1]})`,
      });
    }
  }
  for (const y of byStep.values()) {
    out.push({
      step: y.step,
      endpoint: y.endpoint,
      what: `ran on ${names[1]} only`,
    });
  }
  return out;
}

/** A prefix no other run shares: `parity-` plus time and randomness. */
export function uniquePrefix(): string {
  return `parity-${Date.now().toString(36)}-${
    crypto.randomUUID().slice(0, 8)
  }-`;
}
