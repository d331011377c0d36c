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
 * The API version every step runs under unless it names its own: the newest
 * TalkJS's changelog lists. Sent on both sides, so that an app whose
 * dashboard default is older is compared at the same version.
 */
export const PARITY_API_VERSION = "2024-01-01";

/**
 * Runs the scenario against `target`, with every record ID starting with
 * `prefix`, and answers what each step saw. Whatever the scenario created is
 * deleted (conversations) or emptied (users, which the API cannot delete)
 * before it returns, even when a step throws: every clean-up step runs, and
 * the first error is thrown after them.
 */
export async function runScenario(
  target: Target,
  prefix: string,
  log: (line: string) => void = () => {},
  apiVersion: string = PARITY_API_VERSION,
): Promise<Observation[]> {
  const clients = new Map<string, TalkJsClient>();
  const client = (version: string): TalkJsClient => {
    let talk = clients.get(version);
    if (!talk) {
      talk = createClient({
        appId: target.appId,
        secretKey: target.secretKey,
        baseUrl: target.baseUrl,
        apiVersion: version,
        ...(target.fetch ? { fetch: target.fetch } : {}),
      });
      clients.set(version, talk);
    }
    return talk;
  };
  const seen: Observation[] = [];
  const call = async (
    step: string,
    method: HttpMethod,
    path: string,
    init: {
      query?: Record<string, QueryValue>;
      body?: unknown;
      version?: string;
    } = {},
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
    const { version = apiVersion, ...request } = init;
    try {
      answer = await client(version).request(method, segments, request);
    } catch (error) {
      if (!(error instanceof TalkJsApiError)) throw error;
      status = error.status;
      answer = error.body;
    }
    const observation: Observation = {
      step,
      endpoint,
      status,
      shape: shapeOf(ownRecords(answer, prefix), MAP_FIELDS),
    };
    const order = ownOrder(answer, prefix);
    if (order) observation.order = order;
    seen.push(observation);
    log(`${target.name}: ${step}: ${status}`);
    return status === 200 ? answer : undefined;
  };
  const made = new Set(USERS);
  let failure: { error: unknown } | undefined;
  try {
    await scenario(call, prefix, made);
  } catch (error) {
    failure = { error };
  }
  for (const [step, method, path, body] of cleanUpSteps(made)) {
    try {
      await call(step, method, path, body === undefined ? {} : { body });
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) throw failure.error;
  return seen;
}

type Call = (
  step: string,
  method: HttpMethod,
  path: string,
  init?: {
    query?: Record<string, QueryValue>;
    body?: unknown;
    version?: string;
  },
) => Promise<unknown>;

/**
 * A list answer with only the scenario's own records (by ID prefix, or a
 * message's text): the app's other records would make shapes differ that
 * are the same. Anything else as it is.
 */
function ownRecords(answer: unknown, prefix: string): unknown {
  const data = (answer as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return answer;
  return {
    ...(answer as object),
    data: data.filter((item) => ownKey(item, prefix) !== undefined),
  };
}

function ownKey(item: unknown, prefix: string): string | undefined {
  const record = item as Record<string, unknown> | null;
  return typeof record?.id === "string" && record.id.startsWith(prefix)
    ? record.id.slice(prefix.length)
    : typeof record?.text === "string" && record.text.startsWith("parity ")
    ? record.text
    : undefined;
}

/** The scenario's own records of a list answer, by ID (messages: by text). */
function ownOrder(answer: unknown, prefix: string): string[] | undefined {
  const data = (answer as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return undefined;
  const out: string[] = [];
  for (const item of data) {
    const key = ownKey(item, prefix);
    if (key !== undefined) out.push(key);
  }
  return out;
}

const USERS = ["u1", "u2", "u3"];
const CONVERSATIONS = ["c1", "c2"];

async function scenario(
  call: Call,
  prefix: string,
  made: Set<string>,
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
  const nameless = await call(
    "create a user without a name",
    "PUT",
    "users/$u4",
    {
      body: { role: "default" },
    },
  );
  if (nameless !== undefined) made.add("u4");
  // Fields TalkJS's reference and examples send: pushTokens, the user's own
  // id, availabilityText, and configuration (role's old name).
  await call(
    "update a user with push tokens and its own id",
    "PUT",
    "users/$u2",
    {
      body: {
        id: prefix + "u2",
        availabilityText: "Away",
        pushTokens: { "fcm:parity-token": true },
      },
    },
  );
  await call("get a user with push tokens", "GET", "users/$u2");
  await call("unregister push tokens", "PUT", "users/$u2", {
    body: { pushTokens: null, configuration: "default" },
  });
  await call("get a user without push tokens", "GET", "users/$u2");

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
  const reply = {
    type: "UserMessage",
    sender: prefix + "u2",
    text: "parity reply",
    custom: { source: "parity" },
    idempotencyKey: prefix + "k1",
  };
  await call("send a message", "POST", "conversations/$c1/messages", {
    body: [reply],
  });
  await call(
    "send it again, same idempotency key",
    "POST",
    "conversations/$c1/messages",
    {
      body: [reply],
    },
  );
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
  await call("clear a message's custom fields", "PUT", m, {
    body: { custom: null },
  });
  await call("get the message after", "GET", m);
  await call("delete a message", "DELETE", m);
  await call("get a deleted message", "GET", m);

  // ---- lists after activity, under each API version ----
  await call("list conversations", "GET", "conversations", {
    query: { limit: 5 },
  });
  await call("list conversations (2021-01-01)", "GET", "conversations", {
    query: { limit: 5 },
    version: "2021-01-01",
  });
  await call(
    "list conversations by creation, oldest first",
    "GET",
    "conversations",
    { query: { limit: 5, orderBy: "createdAt", orderDirection: "ASC" } },
  );
  await call(
    "list conversations with offsetTs in the future",
    "GET",
    "conversations",
    { query: { limit: 5, offsetTs: Date.now() + 86_400_000 } },
  );
  await call(
    "list conversations with orderBy (2021-01-01)",
    "GET",
    "conversations",
    { query: { orderBy: "createdAt" }, version: "2021-01-01" },
  );
  await call(
    "list an unknown user's conversations (2021-07-30)",
    "GET",
    "users/$nobody/conversations",
    { version: "2021-07-30" },
  );
  await call(
    "list an unknown user's conversations",
    "GET",
    "users/$nobody/conversations",
  );
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
  await call(
    "notify whoever has unanswered messages",
    "POST",
    "conversations/$c1/notifications",
    { body: { channels: ["email"], emailSettings: { subject: "Parity" } } },
  );

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
  await call(
    "remove the participant again",
    "DELETE",
    "conversations/$c1/participants/$u3",
  );
  await call("get the conversation after", "GET", "conversations/$c1");
  await call(
    "list a left user's conversations (2021-02-09)",
    "GET",
    "users/$u3/conversations",
    { version: "2021-02-09" },
  );
  await call(
    "list a left user's conversations",
    "GET",
    "users/$u3/conversations",
  );
}

/** The steps that delete the conversations and empty the users made. */
function cleanUpSteps(
  users: Set<string>,
): [string, HttpMethod, string, unknown?][] {
  return [
    ...CONVERSATIONS.map((id): [string, HttpMethod, string] => [
      `clean up: delete ${id}`,
      "DELETE",
      `conversations/$${id}`,
    ]),
    ...[...users].map((id): [string, HttpMethod, string, unknown] => [
      `clean up: empty ${id}`,
      "PUT",
      `users/$${id}`,
      {
        name: "[deleted]",
        photoUrl: null,
        welcomeMessage: null,
        role: null,
        locale: null,
        availabilityText: null,
        pushTokens: null,
        custom: null,
      },
    ]),
  ];
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
