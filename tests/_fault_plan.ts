// The fault suite's seed and secrets, and its seeded fault plans: which
// attempts of which logical requests fail, and how (shared by faults_test.ts,
// bad_input_test.ts and secrets_test.ts through the transports and scenarios).
import { mulberry32 } from "./_random.ts";

function envSeed(): number | undefined {
  try {
    const raw = Deno.env.get("FAULT_SEED");
    return raw === undefined ? undefined : Number(raw) >>> 0;
  } catch {
    return undefined; // no --allow-env
  }
}

/** The seed of every fault plan and jitter; `FAULT_SEED=<n>` replays another. */
export const SEED: number = envSeed() ?? 20_251_125;

export const APP = "tFaultSuite";
/** Distinctive, so a grep for it cannot match anything by chance. */
export const SECRET = "sk_test_FAULTS_9f8e7d6c5b4a_never_print_me";

/** FNV-1a, to key a plan by a request's identity rather than by arrival order. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * `cut`: the work is done, then the answer is cut mid-body. `stall`: no answer
 * until the client's timeout. The others answer before any work is done.
 */
export type FaultKind = "503" | "500" | "429" | "429-ra" | "cut" | "stall";

/** The faults for each attempt of one logical request: attempt n gets `[n-1]`. */
export type Plan = (identity: string) => readonly FaultKind[];

/** Failures survivable by a correct client: 1 to 3 per call (3 retries). */
const COUNTS = [1, 1, 1, 1, 2, 2, 3];

/**
 * A seeded plan: a share `rate` of logical requests fail 1–3 times in a row,
 * each time with one of `kinds`. Keyed by the request's identity, so the same
 * requests fail whatever the order of arrival.
 */
export function seededPlan(
  seed: number,
  rate: number,
  kinds: readonly FaultKind[],
): Plan {
  return (identity) => {
    const rng = mulberry32(seed ^ hash32(identity));
    if (rng() >= rate) return [];
    const n = COUNTS[Math.floor(rng() * COUNTS.length)]!;
    return Array.from(
      { length: n },
      () => kinds[Math.floor(rng() * kinds.length)]!,
    );
  };
}

/**
 * What makes two requests the same logical request: method, path, query and
 * body, without idempotency keys (random per `send` call, the same across its
 * retries).
 */
export function identityOf(method: string, path: string, body: string): string {
  return `${method} ${path} ${body.replace(/"idempotencyKey":"[^"]*",?/g, "")}`;
}

/** What a transport counted. */
export interface Tally {
  /** Requests that left the client. */
  requests: number;
  /** Answers by status (a cut answer counts as its 200 status line). */
  statuses: Record<number, number>;
  /** Faults applied, by kind. */
  faults: Record<string, number>;
}

export function newTally(): Tally {
  return { requests: 0, statuses: {}, faults: {} };
}

export function bump(
  record: Record<string | number, number>,
  key: string | number,
) {
  record[key] = (record[key] ?? 0) + 1;
}

export function sum(record: Record<string | number, number>): number {
  return Object.values(record).reduce((a, b) => a + b, 0);
}

/** Tracks attempts per identity and answers the fault of this attempt. */
export function planner(plan: Plan, tally: Tally) {
  const attempts = new Map<string, number>();
  return (identity: string): FaultKind | undefined => {
    const n = (attempts.get(identity) ?? 0) + 1;
    attempts.set(identity, n);
    const kind = plan(identity)[n - 1];
    if (kind) bump(tally.faults, kind);
    return kind;
  };
}
