/**
 * `deno task bench`: every benchmark in one run, printed as one markdown
 * table of measurements and ratios; exits 1 if a target is missed (marked
 * MISSED). Writes bench/out/results.json and docs/pacing.svg.
 *
 * `deno task bench --only pacing,size` runs some of them (names: size,
 * overhead, pacing, retry, memory, redis).
 *
 * @module
 */
import { markdownTable, type Row, type Section } from "./_report.ts";
import { size } from "./size.ts";
import { overhead } from "./overhead.ts";
import { pacing } from "./pacing.ts";
import { retryStorm } from "./retry_storm.ts";
import { memory } from "./memory.ts";
import { redisFleet } from "./redis_fleet.ts";

const OUT = "bench/out";
const SVG = "docs/pacing.svg";

const onlyArg = Deno.args.find((a) => a.startsWith("--only"));
const only = onlyArg
  ? new Set(
    (onlyArg.includes("=")
      ? onlyArg.slice(onlyArg.indexOf("=") + 1)
      : Deno.args[Deno.args.indexOf(onlyArg) + 1] ?? "").split(","),
  )
  : undefined;
const wanted = (name: string) => !only || only.has(name);

await Deno.mkdir(OUT, { recursive: true });
await Deno.mkdir("docs", { recursive: true });

const started = performance.now();
const header =
  `Deno ${Deno.version.deno} (V8 ${Deno.version.v8}), ${navigator.hardwareConcurrency} CPUs, ${Deno.build.os}-${Deno.build.arch}, ${
    new Date().toISOString()
  }`;
console.log(header);

const plan: [string, () => Promise<Section>][] = [
  ["size", () => size(OUT, 13_000, 9_000)],
  [
    "overhead",
    () => overhead({ requests: 4000, tokens: 20_000 }),
  ],
  ["pacing", () => pacing({ n: 200, burst: 20, perSecond: 40 }, SVG)],
  [
    "retry",
    () =>
      retryStorm({
        records: 5000,
        failureRate: 0.2,
        seed: 42,
        bursts: [12, 40],
        burstLength: 3,
      }),
  ],
  ["memory", () => memory([50_000, 100_000], 20, 100_000, 1024)],
  [
    "redis",
    () =>
      redisFleet({ processes: 4, n: 80, burst: 20, perSecond: 10, queue: 4 }),
  ],
];

const sections: Section[] = [];
for (const [name, run] of plan) {
  if (!wanted(name)) continue;
  const t = performance.now();
  console.error(`… ${name}`);
  try {
    sections.push(await run());
  } catch (error) {
    sections.push({
      name,
      rows: [{
        benchmark: `${name}: failed to run`,
        ours: String((error as Error)?.message ?? error).split("\n")[0]!,
        comparison: "—",
        ratio: "—",
        target: "runs",
        met: false,
      }],
      notes: [`${name}: ${(error as Error)?.stack ?? error}`],
    });
  }
  console.error(
    `  ${name} took ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
}

const rows: Row[] = sections.flatMap((s) => s.rows);
console.log();
console.log(markdownTable(rows));
console.log();
for (const note of sections.flatMap((s) => s.notes)) console.log(`- ${note}`);
const missed = rows.filter((r) => r.met === false);
const totalSeconds = (performance.now() - started) / 1000;
console.log();
console.log(
  missed.length
    ? `MISSED ${missed.length} target${missed.length === 1 ? "" : "s"}: ${
      missed.map((r) => r.benchmark).join("; ")
    }`
    : "All targets met.",
);
console.log(`Total ${totalSeconds.toFixed(1)} s.`);

await Deno.writeTextFile(
  `${OUT}/results.json`,
  JSON.stringify(
    {
      header,
      date: new Date().toISOString(),
      deno: Deno.version,
      cpus: navigator.hardwareConcurrency,
      totalSeconds,
      sections: sections.map((s) => ({
        name: s.name,
        notes: s.notes,
        rows: s.rows,
      })),
      missed: missed.map((r) => r.benchmark),
    },
    null,
    2,
  ) + "\n",
);
if (missed.length) Deno.exit(1);
