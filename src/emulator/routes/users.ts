import type { User } from "../../types.ts";
import type { Store } from "../_store.ts";
import { badRequest, HttpError } from "../_http.ts";
import {
  assertValid,
  type Check,
  checks,
  isObject,
  mergeCustom,
  problems,
  requireBodyObject,
  show,
} from "../_validate.ts";
import {
  pageIds,
  parsePage,
  type RouteContext,
  type RouteDeps,
  type RouteTable,
  unknownUser,
} from "./_shared.ts";

const USER_SCHEMA: Record<string, Check> = {
  // The record's own ID, which TalkJS's examples send along: it must match
  // the path (TalkJS does not say what a different one does).
  id: checks.nonEmptyString,
  name: checks.nonEmptyString,
  email: checks.nullableStringArray,
  phone: checks.nullableStringArray,
  photoUrl: checks.nullableString,
  welcomeMessage: checks.nullableString,
  role: checks.nullableString,
  locale: checks.nullableString,
  custom: checks.nullableCustomPatch,
  availabilityText: checks.nullableString,
  pushTokens: checks.pushTokens,
  /** The old name of `role`, which TalkJS's PHP example still sends. */
  configuration: checks.nullableString,
};

function newUser(id: string, createdAt: number): User {
  return {
    id,
    name: "",
    email: null,
    phone: null,
    photoUrl: null,
    welcomeMessage: null,
    role: null,
    locale: null,
    custom: {},
    availabilityText: null,
    pushTokens: null,
    createdAt,
  };
}

/** Sets one field of a checked input on `user`; `custom` and push tokens merge. */
function setField(user: User, field: string, value: unknown): void {
  if (field === "id") return;
  if (field === "custom") {
    user.custom = mergeCustom(
      user.custom ?? {},
      value as Record<string, unknown> | null,
    );
  } else if (field === "pushTokens") {
    user.pushTokens = value === null ? null : mergeCustom(
      user.pushTokens ?? {},
      value as Record<string, unknown>,
    );
  } else {
    const key = field === "configuration" ? "role" : field;
    (user as unknown as Record<string, unknown>)[key] = structuredClone(value);
  }
}

/** What is wrong with one user of a PUT, each problem named by its field ("" for the whole). */
function userProblems(
  store: Store,
  id: string,
  input: unknown,
): [string, string][] {
  if (!isObject(input)) {
    return [["", `must be a JSON object: current value is ${show(input)}`]];
  }
  const found = problems(input, USER_SCHEMA);
  if (input.id !== undefined && input.id !== id) {
    found.push(["id", `must be the user ID of the path (${show(id)})`]);
  }
  if (input.role !== undefined && input.configuration !== undefined) {
    found.push(["configuration", "is the old name of role: send one"]);
  }
  if (!store.users.has(id) && input.name === undefined) {
    found.push(["name", "is required when creating a user"]);
  }
  return found;
}

/** @internal `PUT /users`, `GET /users` and one user's `PUT` and `GET`. */
export function userRoutes({ store, clock, webhooks }: RouteDeps): RouteTable {
  function applyUser(id: string, input: Record<string, unknown>): void {
    const existing = store.users.get(id);
    const user = existing ?? newUser(id, clock.now());
    for (const [field, value] of Object.entries(input)) {
      setField(user, field, value);
    }
    if (!existing) {
      store.users.set(id, user);
      store.userIndex.insert(id, user.createdAt, store.nextSeq());
    }
    webhooks?.userSaved(user, !existing);
  }

  function putUser({ params, body }: RouteContext): unknown {
    const id = params.userId!;
    const found = userProblems(store, id, body);
    if (found.length === 1 && found[0]![0] === "") {
      badRequest("body", found[0]![1]);
    }
    assertValid(found);
    applyUser(id, body as Record<string, unknown>);
    return {};
  }

  function putUsers({ body }: RouteContext): unknown {
    const entries = Object.entries(requireBodyObject(body));
    if (entries.length > 100) {
      badRequest(
        "body",
        `must hold at most 100 users: current count is ${entries.length}`,
      );
    }
    const reasons: Record<string, string> = Object.create(null);
    for (const [id, user] of entries) {
      if (id === "") reasons[id] = "a user ID must be a non-empty string";
      for (const [field, message] of userProblems(store, id, user)) {
        reasons[field === "" ? id : `${id}.${field}`] = message;
      }
    }
    if (Object.keys(reasons).length > 0) throw new HttpError(400, reasons);
    for (const [id, user] of entries) {
      applyUser(id, user as Record<string, unknown>);
    }
    return {};
  }

  function getUser({ params }: RouteContext): unknown {
    const user = store.users.get(params.userId!) ?? unknownUser(params.userId);
    return structuredClone(user);
  }

  function listUsers({ query }: RouteContext): unknown {
    const ids = pageIds(store.userIndex, parsePage(query));
    return { data: ids.map((id) => structuredClone(store.users.get(id)!)) };
  }

  return {
    "PUT /users": putUsers,
    "GET /users": listUsers,
    "PUT /users/:userId": putUser,
    "GET /users/:userId": getUser,
  };
}
