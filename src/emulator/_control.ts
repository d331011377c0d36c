import { failedArgument } from "../_validate.ts";
import { type AuthCheck, refuseAccess } from "./_auth.ts";
import { readBody } from "./_body.ts";
import { errorResponse, HttpError, json } from "./_http.ts";
import type { Store } from "./_store.ts";
import { type Check, checks, validBody } from "./_validate.ts";
import {
  type EmulatorSimulate,
  lookup,
  type SimulateNotificationOptions,
} from "./_webhooks.ts";

/**
 * @internal What the emulator's own HTTP routes need: they run
 * `emu.simulate` for callers in other processes and languages.
 */
export interface ControlDeps {
  appId: string;
  unauthorized: AuthCheck;
  store: Store;
  simulate: EmulatorSimulate;
}

type Action = (deps: ControlDeps, body: unknown) => unknown;

/** Whatever simulate.notification checks itself (it knows the event types). */
const checkedBySimulate: Check = () => undefined;

const READ_SCHEMA: Record<string, Check> = {
  conversationId: checks.nonEmptyString,
  userId: checks.nonEmptyString,
};

const NOTIFICATION_SCHEMA: Record<string, Check> = {
  ...READ_SCHEMA,
  events: checkedBySimulate,
  url: checks.nonEmptyString,
};

const REQUIRED = ["conversationId", "userId"] as const;

/**
 * Runs `fn`; an argument error it throws becomes an HttpError naming the
 * field (`options.events` is the body's `events`): a 400 for a TypeError,
 * `rangeStatus` for a RangeError.
 */
function asHttpError<T>(fn: () => T, rangeStatus: number): T {
  try {
    return fn();
  } catch (error) {
    const failed = failedArgument(error);
    if (!failed) throw error;
    throw new HttpError(error instanceof RangeError ? rangeStatus : 400, {
      [failed.name.replace(/^options\./, "")]: failed.reason,
    });
  }
}

/**
 * The body, checked against `schema`, and its IDs, checked by simulate's own
 * lookup first, so that what it does not find is a 404 and anything it
 * refuses later a 400.
 */
function checkedBody(
  { store }: ControlDeps,
  what: string,
  schema: Record<string, Check>,
  body: unknown,
): Record<string, unknown> & { conversationId: string; userId: string } {
  const input = validBody(body, schema, { required: REQUIRED }) as
    & Record<string, unknown>
    & { conversationId: string; userId: string };
  asHttpError(
    () => lookup(store, what, input.conversationId, input.userId),
    404,
  );
  return input;
}

/** `POST /_emulator/{appId}/simulate/read`: the message IDs read. */
function simulateRead(deps: ControlDeps, body: unknown): unknown {
  const { conversationId, userId } = checkedBody(
    deps,
    "simulate a read",
    READ_SCHEMA,
    body,
  );
  const read = () => deps.simulate.read(conversationId, userId);
  return { messageIds: asHttpError(read, 400) };
}

/** `POST /_emulator/{appId}/simulate/notification`: the notification's ID. */
function simulateNotification(deps: ControlDeps, body: unknown): unknown {
  const { conversationId, userId, events, url } = checkedBody(
    deps,
    "simulate a notification",
    NOTIFICATION_SCHEMA,
    body,
  ) as SimulateNotificationOptions & { conversationId: string; userId: string };
  const options: SimulateNotificationOptions = {
    ...(events === undefined ? {} : { events }),
    ...(url === undefined ? {} : { url }),
  };
  const notify = () =>
    deps.simulate.notification(conversationId, userId, options);
  return { notificationId: asHttpError(notify, 400) };
}

const ACTIONS: Record<string, Action> = {
  "POST /simulate/read": simulateRead,
  "POST /simulate/notification": simulateNotification,
};

/**
 * @internal The emulator's own routes, under `/_emulator/{appId}`: outside
 * TalkJS's `/v1`, so never taken for a TalkJS endpoint, and (the caller's
 * choice) neither rate limited nor counted in the stats. Same app-ID and
 * token checks as the API, then the body, then the action.
 */
export function createControlHandler(
  deps: ControlDeps,
): (req: Request) => Promise<Response> {
  return async function control(req) {
    const method = req.method.toUpperCase();
    const url = new URL(req.url);
    const found = /^\/_emulator\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const key = `${method} ${found?.[2] ?? "/"}`;
    if (found) {
      const denied = await refuseAccess(deps, req, found[1]!);
      if (denied) return denied;
    }
    if (!found || !Object.hasOwn(ACTIONS, key)) {
      return errorResponse(404, {
        path:
          `the emulator's routes are POST /_emulator/{appId}/simulate/read and POST /_emulator/{appId}/simulate/notification: current value is ${method} ${url.pathname}`,
      });
    }
    const read = await readBody(req, method, false);
    if ("error" in read) return read.error;
    try {
      return json(200, ACTIONS[key]!(deps, read.body));
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      return errorResponse(error.status, error.reasons);
    }
  };
}
