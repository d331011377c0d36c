/**
 * Pacing: N requests through a limiter, against the emulator enforcing the
 * same limit (a token bucket of `burst`, refilling `perSecond`, no queue),
 * on the real clock, in-process (`emu.fetch`: no socket, so less noise). The
 * fastest any client can go without a 429 is the burst at once, then one
 * request every 1/perSecond: the last request leaves at
 * (N − burst) / perSecond. Every limiter drives the same client
 * (`retry: false`, so a 429 is counted, not hidden), each against a fresh
 * emulator.
 *
 * @module
 */
import Bottleneck from "npm:bottleneck@2.19.5";
import pThrottle from "npm:p-throttle@8.1.1";
import {
  type Clock,
  createClient,
  createLimiter,
  systemClock,
  type TalkJsClient,
} from "../mod.ts";
import { createEmulator } from "../testing.ts";
import {
  pacingChart,
  type PacingOptions,
  type PacingRun,
  type RefusalCauses,
  type Sent,
} from "./_chart.ts";
import { ratio, type Row, seconds, type Section } from "./_report.ts";

export type {
  PacingOptions,
  PacingRun,
  RefusalCauses,
  Sent,
} from "./_chart.ts";

type Wrap = (fn: () => Promise<unknown>) => Promise<unknown>;

interface Contender {
  name: string;
  ours: boolean;
  config: string;
  /** The client's own limiter, or false when `wrap` paces. */
  limiter: () => ReturnType<typeof createLimiter> | false;
  wrap: () => Wrap;
}

function contenders({ burst, perSecond }: PacingOptions): Contender[] {
  const direct: Wrap = (fn) => fn();
  const step = 250; // Bottleneck's default heartbeat: it refills no more often.
  return [{
    name: "ours (createLimiter)",
    ours: true,
    config:
      `createClient({ limiter: createLimiter({ burst: ${burst}, perSecond: ${perSecond} }), retry: false })`,
    limiter: () => createLimiter({ burst, perSecond }),
    wrap: () => direct,
  }, {
    name: "ours, slackMs 0 (no slack)",
    ours: true,
    config:
      `createLimiter({ burst: ${burst}, perSecond: ${perSecond}, slackMs: 0 }): paced requests go exactly at their slots; the first requests of the burst reach the server a few ms after theirs, so the first paced one can arrive early (the default slack, ${
        Math.min(500 / perSecond, 50)
      } ms here, shifts the paced stream once)`,
    limiter: () => createLimiter({ burst, perSecond, slackMs: 0 }),
    wrap: () => direct,
  }, {
    name: "bottleneck 2.19.5",
    ours: false,
    config: `new Bottleneck({ reservoir: ${burst}, reservoirIncreaseAmount: ${
      perSecond * step / 1000
    }, reservoirIncreaseInterval: ${step}, reservoirIncreaseMaximum: ${burst} }): the reservoir is the burst; it refills in steps on Bottleneck's ${step} ms heartbeat, so the step is ${step} ms (a 25 ms interval would still fire every ${step} ms and pace at 4/s)`,
    limiter: () => false,
    wrap: () => {
      const b = new Bottleneck({
        reservoir: burst,
        reservoirIncreaseAmount: perSecond * step / 1000,
        reservoirIncreaseInterval: step,
        reservoirIncreaseMaximum: burst,
      });
      return (fn) => b.schedule(fn);
    },
  }, {
    name: "p-throttle 8.1.1, no burst",
    ours: false,
    config: `pThrottle({ limit: 1, interval: ${
      1000 / perSecond
    } }): p-throttle has no burst (a token bucket with a refill); one per interval is the only way to never exceed the server's limit`,
    limiter: () => false,
    wrap: () => {
      const throttle = pThrottle({ limit: 1, interval: 1000 / perSecond });
      return throttle((fn: () => Promise<unknown>) => fn());
    },
  }, {
    name: "p-throttle 8.1.1, per second",
    ours: false,
    config:
      `pThrottle({ limit: ${perSecond}, interval: 1000 }): "${perSecond} per second" as the docs' example reads; it lets ${perSecond} go at the start of every window, more than the server's burst of ${burst}`,
    limiter: () => false,
    wrap: () => {
      const throttle = pThrottle({ limit: perSecond, interval: 1000 });
      return throttle((fn: () => Promise<unknown>) => fn());
    },
  }];
}

async function runOne(
  contender: Contender,
  { n, burst, perSecond }: PacingOptions,
): Promise<PacingRun> {
  // The real clock, noting what the emulator's rate limit reads: it reads
  // the time synchronously when a request comes in, before anything else can.
  let serverNow = NaN;
  const clock: Clock = {
    now: () => serverNow = systemClock.now(),
    sleep: systemClock.sleep,
  };
  const emu = createEmulator({
    rateLimit: { burst, perSecond, queue: 0 },
    clock,
  });
  const sent: Sent[] = [];
  let start = 0;
  const recording: typeof fetch = async (input, init) => {
    const entry: Sent = {
      t: performance.now() - start,
      serverNow: NaN,
      status: 0,
    };
    serverNow = NaN;
    const answer = emu.fetch(input, init);
    entry.serverNow = serverNow;
    sent.push(entry);
    const response = await answer;
    entry.status = response.status;
    return response;
  };
  const talk = createClient({
    appId: emu.appId,
    secretKey: emu.secretKey,
    baseUrl: emu.baseUrl,
    fetch: recording,
    retry: false,
    limiter: contender.limiter(),
  });
  const wrap = contender.wrap();
  start = performance.now();
  await Promise.allSettled(
    Array.from({ length: n }, () => wrap(() => talk.users.list({ limit: 1 }))),
  );
  return {
    name: contender.name,
    config: contender.config,
    elapsedMs: sent.at(-1)?.t ?? 0,
    rateLimited: emu.stats.rateLimited,
    sent,
    causes: refusalCauses(sent, burst, perSecond),
    firstMs: sent[0]?.t ?? 0,
  };
}

/**
 * Replays the emulator's token bucket in exact integer arithmetic (Date.now
 * is whole milliseconds; tokens counted in thousandths, so perSecond must be
 * an integer) and tells each refusal's cause.
 */
export function refusalCauses(
  sent: readonly Sent[],
  burst: number,
  perSecond: number,
): RefusalCauses {
  const causes: RefusalCauses = { atBoundary: 0, early: 0, earlyByMs: 0 };
  let tokens = burst * 1000;
  let last: number | undefined;
  for (const s of sent) {
    if (Number.isNaN(s.serverNow)) continue;
    last ??= s.serverNow;
    tokens = Math.min(
      burst * 1000,
      tokens + Math.max(0, s.serverNow - last) * perSecond,
    );
    last = s.serverNow;
    if (s.status === 200) tokens -= 1000;
    else if (s.status === 429) {
      if (tokens >= 1000) causes.atBoundary++;
      else {
        causes.early++;
        causes.earlyByMs = Math.max(
          causes.earlyByMs,
          (1000 - tokens) / perSecond,
        );
      }
    }
  }
  return causes;
}

function explain(run: PacingRun): string {
  const { atBoundary, early, earlyByMs } = run.causes;
  if (run.rateLimited === 0) return `${run.name}: no 429.`;
  const parts = [];
  if (atBoundary) {
    parts.push(
      `${atBoundary} at the exact boundary (exact arithmetic finds a whole token where the emulator's floating-point bucket holds 0.99999…: the emulator's rounding)`,
    );
  }
  if (early) {
    parts.push(
      `${early} early (up to ${
        earlyByMs.toFixed(0)
      } ms before the exact bucket held a token: the sender's timing)`,
    );
  }
  return `${run.name}: ${run.rateLimited}×429 — ${
    parts.join(", ")
  }. Its first request reached the server ${
    run.firstMs.toFixed(1)
  } ms after the start.`;
}

/** Sends a few requests so JIT warm-up does not land on the first contender. */
async function warmUp(): Promise<void> {
  const emu = createEmulator({ rateLimit: false });
  const talk: TalkJsClient = createClient({
    appId: emu.appId,
    secretKey: emu.secretKey,
    baseUrl: emu.baseUrl,
    fetch: emu.fetch,
    retry: false,
    limiter: createLimiter({ burst: 10, perSecond: 1000 }),
  });
  await Promise.all(
    Array.from({ length: 100 }, () => talk.users.list({ limit: 1 })),
  );
}

/**
 * Runs every contender once, side by side, and draws the chart.
 *
 * @param options N, burst and rate.
 * @param svgPath Where the chart goes.
 * @returns The section of the table.
 */
export async function pacing(
  options: PacingOptions,
  svgPath: string,
): Promise<Section & { runs: PacingRun[] }> {
  const { n, burst, perSecond } = options;
  const idealMs = (n - burst) / perSecond * 1000;
  await warmUp();
  const runs: PacingRun[] = [];
  for (const c of contenders(options)) runs.push(await runOne(c, options));
  await Deno.writeTextFile(svgPath, pacingChart(runs, options));
  // The check task runs `deno fmt --check`, which formats SVG too.
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", svgPath],
    stdout: "null",
    stderr: "inherit",
  }).output();

  const [ours, ...others] = runs as [PacingRun, ...PacingRun[]];
  const what = `N=${n}, burst ${burst}, ${perSecond}/s`;
  const result = (run: PacingRun) =>
    `${seconds(run.elapsedMs)}, ${run.rateLimited}×429`;
  const data = (run: PacingRun) => ({
    idealMs,
    elapsedMs: run.elapsedMs,
    rateLimited: run.rateLimited,
    causes: run.causes,
    firstMs: run.firstMs,
  });
  const rows: Row[] = [{
    benchmark: `pacing ${what}: last request vs ideal`,
    ours: result(ours),
    comparison: `ideal ${seconds(idealMs)}, 0×429`,
    ratio: ratio(ours.elapsedMs, idealMs),
    target: "≤ 1.020, 0×429",
    met: ours.elapsedMs <= idealMs * 1.02 && ours.rateLimited === 0,
    data: data(ours),
  }];
  const marks = ["¹", "²", "³", "⁴", "⁵"];
  others.forEach((run, i) => {
    const mark = marks[i] ?? "";
    rows.push(
      contenders(options)[i + 1]!.ours
        ? {
          benchmark: `pacing ${what}: ${run.name}${mark} vs ideal`,
          ours: result(run),
          comparison: `ideal ${seconds(idealMs)}, 0×429`,
          ratio: ratio(run.elapsedMs, idealMs),
          target: "—",
          met: null,
          data: data(run),
        }
        : {
          benchmark: `pacing ${what}: vs ${run.name}${mark}`,
          ours: result(ours),
          comparison: `${result(run)} (${
            ratio(run.elapsedMs, idealMs)
          }× ideal)`,
          ratio: ratio(ours.elapsedMs, run.elapsedMs),
          target: "—",
          met: null,
          data: data(run),
        },
    );
  });
  const notes = [
    `Pacing: elapsed = arrival of the last of ${n} requests at the emulator (in-process emu.fetch, real clock), from the moment all ${n} were handed to the limiter; ideal = (N − burst) / perSecond = ${
      seconds(idealMs)
    }. Every contender drives the same client (retry: false, so a 429 is counted, not retried; the client still holds its own limiter for the Retry-After of 1 s after one), each against a fresh emulator with rateLimit { burst: ${burst}, perSecond: ${perSecond}, queue: 0 }, after a warm-up. ratio = ours / theirs (below 1: ours finished first).`,
    ...others.map((r, i) => `${marks[i]} ${r.config}.`),
    `429 causes, from an exact replay of the emulator's bucket at the times its clock read: ${
      runs.map(explain).join(" ")
    }`,
    `Chart: ${svgPath}.`,
  ];
  return { name: "pacing", rows, notes, runs };
}
