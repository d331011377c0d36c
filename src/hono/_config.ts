import type { Context, Env } from "hono";
import { env } from "hono/adapter";

/**
 * A setting the middleware reads per request: a string, or a function of the
 * Hono context (sync or async), e.g. `(c) => c.env.MY_TALKJS_KEY`. When it is
 * absent or gives nothing, the matching variable is used: a Workers binding
 * on `c.env`, else the runtime's environment (`env(c)` of `hono/adapter`:
 * `Deno.env`, `process.env`, Bun's).
 */
// deno-lint-ignore no-explicit-any
export type TalkJsSetting<E extends Env = any> =
  | string
  | ((
    c: Context<E>,
  ) => string | undefined | null | Promise<string | undefined | null>);

/**
 * Reads a Workers binding from `c.env` without trusting its shape: under
 * `Deno.serve` it is the serve info, under Node the raw request pair, and
 * `c.env` itself may be missing.
 */
function readBinding(source: unknown, name: string): unknown {
  try {
    if (typeof source !== "object" || source === null) return undefined;
    return (source as Record<string, unknown>)[name];
  } catch {
    return undefined;
  }
}

let envUnreadable = false;

/** The bits of Deno's API the settings read, where Deno is the runtime. */
interface DenoEnv {
  permissions: {
    querySync(d: { name: "env"; variable: string }): { state: string };
  };
  env: { get(name: string): string | undefined };
}

/**
 * One variable of Deno's environment, read only where already allowed:
 * Hono's adapter reads the whole environment (which a narrowed
 * `--allow-env=TALKJS_APP_ID,…` refuses) and would make Deno prompt.
 */
function denoVariable(deno: DenoEnv, name: string): string | undefined {
  try {
    const { state } = deno.permissions.querySync({
      name: "env",
      variable: name,
    });
    return state === "granted" ? deno.env.get(name) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The runtime's environment through Hono's adapter: Workers bindings,
 * `process.env`, Bun's env (Deno's is read one variable at a time, above).
 */
function runtimeEnv(c: Context): unknown {
  try {
    return env(c);
  } catch (error) {
    if (!envUnreadable) {
      envUnreadable = true;
      console.error(
        `talkjs-rest: cannot read the environment for TALKJS_* settings (${
          (error as Error)?.message
        }); allow it (deno run --allow-env) or pass the settings as options`,
      );
    }
    return undefined;
  }
}

/**
 * Resolves a setting: the option (a string, or a function of `c`), else the
 * binding `name` on `c.env` (also what `app.request(path, init, env)` passes),
 * else the variable `name` of the runtime's environment (`env(c)` of
 * `hono/adapter`). Answers a non-empty string or `undefined`.
 */
export async function resolveSetting(
  c: Context,
  setting: TalkJsSetting | undefined,
  name: string,
): Promise<string | undefined> {
  let value: unknown = typeof setting === "function"
    ? await setting(c)
    : setting;
  if (value === undefined || value === null || value === "") {
    value = readBinding(c.env, name);
  }
  if (value === undefined || value === null || value === "") {
    const deno = (globalThis as { Deno?: DenoEnv }).Deno;
    value = deno?.permissions?.querySync
      ? denoVariable(deno, name)
      : readBinding(runtimeEnv(c), name);
  }
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** `c.executionCtx` where the runtime has one (Workers); Hono's getter throws elsewhere. */
export function executionContextOf(
  c: Context,
): { waitUntil(promise: Promise<unknown>): void } | undefined {
  try {
    const ctx = c.executionCtx as { waitUntil?: unknown } | undefined;
    return typeof ctx?.waitUntil === "function"
      ? (ctx as { waitUntil(promise: Promise<unknown>): void })
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How every middleware reports missing settings: a 500 with a JSON
 * `{ error }` naming the variables to set and the options to pass, and the
 * same message once on the console (a deployment without its secrets
 * otherwise fails quietly). One reporter per middleware.
 *
 * @param caller The middleware's name, e.g. `"talkjs"`.
 * @param variables The variables it needs, e.g. `["TALKJS_APP_ID", "TALKJS_SECRET_KEY"]`.
 * @param options The options that would set them instead, e.g. `"appId/secretKey"`.
 */
export function notConfigured(
  caller: string,
  variables: string[],
  options: string,
): (c: Context) => Response {
  const error = `TalkJS is not configured: set ${
    variables.join(" and ")
  } (environment variables or Workers bindings) or pass ${options} to ${caller}()`;
  let warned = false;
  return (c) => {
    if (!warned) {
      warned = true;
      console.error(`${caller}(): ${error}`);
    }
    return c.json({ error }, 500);
  };
}
