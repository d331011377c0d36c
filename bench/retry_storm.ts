/**
 * Retry storms: `listAll(talk.users.list)` over 5,000 users while the
 * emulator fails 20% of requests with a 503 (a seeded RNG decides, so every
 * run sees the same faults) and twice answers a burst of three 429s with
 * `Retry-After: 1`. The client runs with its default retry policy (3 retries)
 * except shorter waits, and its default limiter. A page that fails four
 * times in a row makes `listAll` throw; the export then resumes from the
 * last record it got, as a real export would.
 *
 * @module
 */
import { mulberry32 } from "../tests/_random.ts";
import { createClient, listAll } from "../mod.ts";
import { createEmulator } from "../testing.ts";
import { ratio, type Row, seconds, type Section } from "./_report.ts";

/** The shape of the benchmark. */
export interface RetryStormOptions {
  records: number;
  failureRate: number;
  seed: number;
  /** Request numbers (1-based) at which a burst of 429s starts. */
  bursts: number[];
  burstLength: number;
}

/**
 * Seeds the emulator with `count` users through `PUT /users`, 100 a request,
 * with the secret key as the bearer token.
 */
export async function seedUsers(
  emu: ReturnType<typeof createEmulator>,
  count: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 100) {
    const chunk: Record<string, unknown> = {};
    for (let j = i; j < Math.min(count, i + 100); j++) {
      const id = `user-${j.toString().padStart(7, "0")}`;
      ids.push(id);
      chunk[id] = {
        name: `User ${j}`,
        email: [`user${j}@example.com`],
        custom: { plan: j % 3 ? "free" : "pro" },
      };
    }
    const res = await emu.fetch(`${emu.baseUrl}/v1/${emu.appId}/users`, {
      method: "PUT",
      headers: {
        authorization: `Bearer ${emu.secretKey}`,
        "content-type": "application/json",
      },
      body: JSON.stringify(chunk),
    });
    await res.body?.cancel();
    if (res.status !== 200) throw new Error(`Seeding failed: ${res.status}`);
  }
  return ids;
}

/**
 * Runs the export under faults and checks every record came exactly once.
 *
 * @param options Record count, failure rate, seed and 429 bursts.
 * @returns The section of the table.
 */
export async function retryStorm(
  options: RetryStormOptions,
): Promise<Section> {
  const { records, failureRate, seed, bursts, burstLength } = options;
  const emu = createEmulator({ rateLimit: false });
  const ids = await seedUsers(emu, records);
  const random = mulberry32(seed);
  let sent = 0;
  let injected503 = 0;
  let injected429 = 0;
  let burstLeft = 0;
  const faulty: typeof fetch = (input, init) => {
    sent++;
    if (bursts.includes(sent)) burstLeft = burstLength;
    if (burstLeft > 0) {
      burstLeft--;
      injected429++;
      emu.faults.inject({ status: 429, retryAfter: 1 });
    } else if (random() < failureRate) {
      injected503++;
      emu.faults.inject({ status: 503 });
    }
    return emu.fetch(input, init);
  };
  const retries: { status: string; delayMs: number }[] = [];
  const talk = createClient({
    appId: emu.appId,
    secretKey: emu.secretKey,
    baseUrl: emu.baseUrl,
    fetch: faulty,
    retry: {
      minDelayMs: 1,
      maxDelayMs: 20,
      onRetry: ({ error, delayMs }) =>
        retries.push({
          status: String((error as { status?: number }).status ?? error),
          delayMs,
        }),
    },
  });

  const seen = new Map<string, number>();
  let cursor: string | undefined;
  let giveUps = 0;
  const started = performance.now();
  for (;;) {
    try {
      const params = cursor === undefined ? {} : { startingAfter: cursor };
      for await (const user of listAll(talk.users.list, params)) {
        seen.set(user.id, (seen.get(user.id) ?? 0) + 1);
        cursor = user.id;
      }
      break;
    } catch (error) {
      giveUps++;
      if (giveUps > 50) throw error;
    }
  }
  const elapsedMs = performance.now() - started;

  const duplicates = [...seen.values()].filter((c) => c > 1).length;
  const missing = ids.filter((id) => !seen.has(id)).length;
  const known = new Set(ids);
  const extra = [...seen.keys()].filter((id) => !known.has(id)).length;
  const exactlyOnce = duplicates === 0 && missing === 0 && extra === 0;
  // listAll stops on a short or empty page: a multiple of 100 ends with an empty one.
  const minPages = Math.floor(records / 100) + 1;
  const injected = injected503 + injected429;
  const wasted = sent - minPages - injected;
  const rows: Row[] = [{
    benchmark: `retry storm: listAll ${records} users, ${
      failureRate * 100
    }% 503 + ${bursts.length}×${burstLength} 429`,
    ours: `${seen.size} ids, ${duplicates} dup, ${missing} missing`,
    comparison: `${records} ids`,
    ratio: ratio(seen.size, records),
    target: "every id exactly once",
    met: exactlyOnce,
    data: { records, seen: seen.size, duplicates, missing, extra },
  }, {
    benchmark: "retry storm: requests sent vs minimum pages (amplification)",
    ours:
      `${sent} requests (${injected503}×503, ${injected429}×429, ${giveUps} give-up${
        giveUps === 1 ? "" : "s"
      }), ${seconds(elapsedMs)}`,
    comparison: `${minPages} pages`,
    ratio: ratio(sent, minPages),
    target: `= pages + faults (${minPages + injected}), none wasted`,
    met: wasted === 0,
    data: {
      sent,
      minPages,
      injected503,
      injected429,
      giveUps,
      retries: retries.length,
      elapsedMs,
      emulatorRequests: emu.stats.requests,
    },
  }];
  const notes = [
    `Retry storm: ${records} users seeded, then listAll(talk.users.list) (100 a page) with the client's default retry policy (3 retries, full jitter) but retry { minDelayMs: 1, maxDelayMs: 20 } to keep it fast; a 429's Retry-After (1 s) still sets the floor of its wait. Faults are injected through emu.faults before each request: a burst of ${burstLength}×429 at request ${
      bursts.join(" and ")
    }, otherwise a 503 with probability ${failureRate} from a seeded RNG (seed ${seed}), so every run sees the same faults. A page that fails ${4} times in a row makes listAll throw (${giveUps} time${
      giveUps === 1 ? "" : "s"
    } here); the loop resumes from the last record received, as a real export would. Amplification = requests sent / minimum pages; a request that is neither a page nor the retry of an injected fault is wasted.`,
  ];
  return { name: "retry storm", rows, notes };
}
