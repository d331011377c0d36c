// Subprocesses a user would start by hand: `deno task emulator`, a server
// example, a snippet. Each wait is bounded; each process is stopped.

/** The environment without a real app's TALKJS_* variables, plus `extra`. */
export function cleanEnv(
  extra: Record<string, string> = {},
): Record<string, string> {
  const env = { ...Deno.env.toObject(), ...extra };
  for (
    const name of ["TALKJS_APP_ID", "TALKJS_SECRET_KEY", "TALKJS_BASE_URL"]
  ) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

export interface Served {
  /** What it printed until `ready` matched. */
  banner: string;
  /** The first group of `ready`. */
  match: string;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts `args` (a deno subcommand line) and resolves once its stdout or
 * stderr matches `ready`, within 30 s; its output after that is discarded.
 */
export async function startServed(
  args: string[],
  ready: RegExp,
  env: Record<string, string> = {},
  cwd?: string,
): Promise<Served> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    ...(cwd === undefined ? {} : { cwd }),
    env: cleanEnv(env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let banner = "";
  let found: RegExpExecArray | null = null;
  let wake: () => void = () => {};
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      if (found) continue;
      banner += chunk;
      found = ready.exec(banner);
      if (found) wake();
    }
    wake();
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await drained;
  };
  const timer = setTimeout(() => wake(), 30_000);
  while (!found) {
    const woken = new Promise<void>((resolve) => wake = resolve);
    const exited = child.status.then(() => {});
    await Promise.race([woken, exited]);
    if (found) break;
    clearTimeout(timer);
    await stop();
    throw new Error(`${args.join(" ")} did not get ready:\n${banner}`);
  }
  clearTimeout(timer);
  return {
    banner,
    match: (found as RegExpExecArray)[1] ?? "",
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** The `deno run` arguments of `deno task emulator` with `flags`. */
export function emulatorArgs(...flags: string[]): string[] {
  return [
    "run",
    "--allow-net",
    "--allow-env",
    new URL("../bin/emulator.ts", import.meta.url).pathname,
    ...flags,
  ];
}

/** `deno task emulator --port 0`: resolves with its base URL. */
export function startEmulator(...flags: string[]): Promise<Served> {
  return startServed(
    emulatorArgs("--port", "0", ...flags),
    /listening on (http:\/\/127\.0\.0\.1:\d+)/,
  );
}
