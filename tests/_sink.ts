// The sink every error, log line and info of a suite goes to, so that a grep
// can look for the secret key and the tokens in all of it (faults_test.ts,
// bad_input_test.ts, secrets_test.ts).
import { captureConsole } from "./_console.ts";

/** Everything the suites produce that a user could log. */
export interface Sink {
  errors: unknown[];
  /** onRetry and onPage infos, emulator stats, other values handed to callers. */
  infos: unknown[];
  /** Console output captured while a scenario ran. */
  logs: string[];
  /** Every bearer credential sent on the wire. */
  tokens: Set<string>;
}

export function createSink(): Sink {
  return { errors: [], infos: [], logs: [], tokens: new Set() };
}

/** Records the Authorization header of a request. */
export function recordToken(sink: Sink, headers: Headers): void {
  const auth = headers.get("authorization");
  if (auth?.startsWith("Bearer ")) sink.tokens.add(auth.slice(7));
}

/** Every way a user might print a value: message, stack, JSON, inspect, causes. */
export function dump(value: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let v: unknown = value;
  while (v !== undefined && v !== null && !seen.has(v)) {
    seen.add(v);
    if (v instanceof Error) {
      parts.push(v.message, v.stack ?? "", String(v));
    }
    try {
      parts.push(JSON.stringify(v) ?? "");
    } catch { /* cyclic: inspect covers it */ }
    parts.push(
      Deno.inspect(v, {
        depth: Infinity,
        showHidden: true,
        getters: true,
        iterableLimit: Infinity,
        strAbbreviateSize: Infinity,
      }),
    );
    v = v instanceof Error ? v.cause : undefined;
  }
  return parts.join("\n");
}

function base64url(text: string): string {
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** What must never be printed: the key, its encodings, every token and its signature. */
export function forbidden(sink: Sink, secrets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const s of secrets) {
    out.add(s);
    out.add(base64url(s));
    out.add(
      [...new TextEncoder().encode(s)].map((b) =>
        b.toString(16).padStart(2, "0")
      ).join(""),
    );
  }
  for (const token of sink.tokens) {
    if (secrets.includes(token)) continue;
    out.add(token);
    const signature = token.split(".")[2];
    if (signature) out.add(signature);
  }
  return [...out];
}

/** Where each forbidden string appears in the sink's dump; empty when clean. */
export function findLeaks(
  sink: Sink,
  secrets: readonly string[],
  extra: readonly unknown[] = [],
): string[] {
  const needles = forbidden(sink, secrets);
  const leaks: string[] = [];
  const items: [string, unknown][] = [
    ...sink.errors.map((e, i): [string, unknown] => [`errors[${i}]`, e]),
    ...sink.infos.map((e, i): [string, unknown] => [`infos[${i}]`, e]),
    ...sink.logs.map((e, i): [string, unknown] => [`logs[${i}]`, e]),
    ...extra.map((e, i): [string, unknown] => [`extra[${i}]`, e]),
  ];
  for (const [where, item] of items) {
    const text = typeof item === "string" ? item : dump(item);
    for (const needle of needles) {
      if (text.includes(needle)) {
        leaks.push(`${where} holds ${needle.slice(0, 12)}…`);
      }
    }
  }
  return leaks;
}

/** Runs `fn` with console output captured into the sink (and not printed). */
export function capturingConsole<T>(
  sink: Sink,
  fn: () => Promise<T>,
): Promise<T> {
  return captureConsole(async (logged) => {
    try {
      return await fn();
    } finally {
      sink.logs.push(...logged.map((args) => args.map(dump).join(" ")));
    }
  });
}
