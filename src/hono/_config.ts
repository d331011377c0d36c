import type { Context } from "hono";
import type { TalkJsSetting } from "./talkjs.ts";

/**
 * Reads a Workers binding from `c.env` without trusting its shape: under
 * `Deno.serve` it is the serve info, under Node the raw request pair, and
 * `c.env` itself may be missing.
 */
function readBinding(c: Context, name: string): unknown {
  try {
    const env: unknown = c.env;
    if (typeof env !== "object" || env === null) return undefined;
    return (env as Record<string, unknown>)[name];
  } catch {
    return undefined;
  }
}

/**
 * Resolves a setting: the option (a string, or a function of `c`), else the
 * binding `name` on `c.env`. Answers a non-empty string or `undefined`.
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
    value = readBinding(c, name);
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
