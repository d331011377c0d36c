/**
 * Size: each entry bundled with `deno bundle --minify --platform browser`,
 * gzipped at level 9. The core entry is also bundled with `--external jose`
 * to tell our own code from jose's. `hono` must not reach the core entry:
 * checked in its module graph (`deno info --json`) and in a bundle that
 * keeps `hono` external (an import of it would survive there).
 *
 * @module
 */
import { gzipSync } from "node:zlib";
import { relative, resolve } from "node:path";
import { kb, ratio, type Row, type Section } from "./_report.ts";

/** Reference sizes, minified + gzipped, quoted, not measured here. */
const REFERENCES = [
  ["@octokit/core", 8],
  ["stripe", 39],
  ["octokit", 46],
] as const;

async function deno(args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!out.success) {
    throw new Error(
      `deno ${args.join(" ")} failed:\n${decoder.decode(out.stderr)}`,
    );
  }
  return decoder.decode(out.stdout);
}

async function bundle(
  entry: string,
  outFile: string,
  external: string[] = [],
): Promise<{ minified: number; gzipped: number; text: string }> {
  await deno([
    "bundle",
    "--quiet",
    "--minify",
    "--platform",
    "browser",
    ...external.flatMap((e) => ["--external", e]),
    "-o",
    outFile,
    entry,
  ]);
  const bytes = await Deno.readFile(outFile);
  return {
    minified: bytes.length,
    gzipped: gzipSync(bytes, { level: 9 }).length,
    text: new TextDecoder().decode(bytes),
  };
}

/**
 * Bundles the entries and compares the core with the target and anchors.
 *
 * @param outDir Where the bundles go.
 * @param limit The core's gzipped target, in bytes.
 * @param ownLimit The gzipped target of our own code (the core with `--external jose`), in bytes.
 * @returns The section of the table.
 */
export async function size(
  outDir: string,
  limit: number,
  ownLimit: number,
): Promise<Section> {
  const core = await bundle("mod.ts", `${outDir}/core.min.js`);
  const own = await bundle("mod.ts", `${outDir}/core.own.min.js`, ["jose"]);
  const honoExternal = await bundle(
    "mod.ts",
    `${outDir}/core.hono-external.min.js`,
    ["hono", "hono/*"],
  );
  // Two measurements for the size decision, from entries written to outDir:
  // jose's signer on its own (the floor of any core that signs with jose),
  // and the core with webhooks moved out (as if they had an entry of their own).
  const joseEntry = `${outDir}/_jose_only.ts`;
  await Deno.writeTextFile(joseEntry, `export { CompactSign } from "jose";\n`);
  const joseOnly = await bundle(joseEntry, `${outDir}/jose-only.min.js`);
  const toRoot = relative(resolve(outDir), resolve(".")) || ".";
  const modText = await Deno.readTextFile("mod.ts");
  const withoutWebhooks = modText.replace(
    /^export \* from "\.\/src\/webhooks\.ts";\n/m,
    "",
  );
  if (withoutWebhooks === modText) {
    throw new Error("size: mod.ts no longer re-exports ./src/webhooks.ts");
  }
  const noWebhooksEntry = `${outDir}/_core_without_webhooks.ts`;
  await Deno.writeTextFile(
    noWebhooksEntry,
    withoutWebhooks.replaceAll('"./src/', `"${toRoot}/src/`),
  );
  const noWebhooks = await bundle(
    noWebhooksEntry,
    `${outDir}/core.no-webhooks.min.js`,
  );
  // The floor of any entry that offers the client: createClient with its
  // resources, retries, limiter and errors, and nothing else of the core.
  const clientEntry = `${outDir}/_client_only.ts`;
  await Deno.writeTextFile(
    clientEntry,
    `export { createClient } from "${toRoot}/src/client.ts";\n`,
  );
  const clientOnly = await bundle(
    clientEntry,
    `${outDir}/client-only.own.min.js`,
    ["jose"],
  );
  const honoEntry = await bundle("hono.ts", `${outDir}/hono.min.js`);
  const testingEntry = await bundle("testing.ts", `${outDir}/testing.min.js`);

  const graph = JSON.parse(await deno(["info", "--json", "mod.ts"])) as {
    modules: { specifier: string }[];
  };
  const honoModules =
    graph.modules.filter((m) => /(^npm:\/?hono@|\/hono@)/.test(m.specifier))
      .length;
  const honoImport = /\bfrom\s*["']hono(\/[^"']*)?["']|import\(\s*["']hono/
    .test(honoExternal.text);
  const honoFree = honoModules === 0 && !honoImport;

  const jose = core.gzipped - own.gzipped;
  const bytes = (n: number) => `${n.toLocaleString("en-US")} B`;
  const anchors = REFERENCES.map(([name, k]) => `${name} ≈ ${k} KB`).join(
    ", ",
  );
  const rows: Row[] = [{
    benchmark: "size: core entry (.) minified + gzip -9",
    ours: `${bytes(core.gzipped)} (${kb(core.minified)} min)`,
    comparison: `${anchors} (reference, not measured)`,
    ratio: ratio(core.gzipped, limit) + " × target",
    target: `≤ ${bytes(limit)}`,
    met: core.gzipped <= limit,
    data: { ...strip(core), limit },
  }, {
    benchmark: "size: core breakdown, our code (--external jose) vs jose",
    ours: `${bytes(own.gzipped)} (${kb(own.minified)} min)`,
    comparison: `jose ≈ ${bytes(jose)} (difference)`,
    ratio: ratio(own.gzipped, ownLimit) + " × target",
    target: `≤ ${bytes(ownLimit)}`,
    met: own.gzipped <= ownLimit,
    data: { own: strip(own), joseGzipped: jose, ownLimit },
  }, {
    benchmark:
      "size: jose's CompactSign alone (the floor of a core that signs with jose)",
    ours: `${kb(joseOnly.gzipped)} (${kb(joseOnly.minified)} min)`,
    comparison: `target ${bytes(limit)}`,
    ratio: ratio(joseOnly.gzipped, limit) + " of target",
    target: "—",
    met: null,
    data: strip(joseOnly),
  }, {
    benchmark:
      "size: core without webhooks (as if moved to an entry of their own)",
    ours: `${kb(noWebhooks.gzipped)} (${kb(noWebhooks.minified)} min)`,
    comparison: `core ${kb(core.gzipped)}`,
    ratio: ratio(noWebhooks.gzipped, limit) + " × target",
    target: "—",
    met: null,
    data: strip(noWebhooks),
  }, {
    benchmark:
      "size: createClient alone, our code (--external jose): the floor of any core with the client",
    ours: `${bytes(clientOnly.gzipped)} (${kb(clientOnly.minified)} min)`,
    comparison: `our code ${bytes(own.gzipped)}`,
    ratio: ratio(clientOnly.gzipped, ownLimit) + " × target",
    target: "—",
    met: null,
    data: strip(clientOnly),
  }, {
    benchmark: "size: hono absent from the core entry",
    ours: honoFree
      ? "absent"
      : `PRESENT (${honoModules} modules in the graph${
        honoImport ? ", imported by the bundle" : ""
      })`,
    comparison: "module graph + bundle with --external hono",
    ratio: "—",
    target: "absent",
    met: honoFree,
  }, {
    benchmark: "size: ./hono and ./testing entries (with hono and jose)",
    ours: `hono ${kb(honoEntry.gzipped)}, testing ${kb(testingEntry.gzipped)}`,
    comparison: `core ${kb(core.gzipped)}`,
    ratio: "—",
    target: "—",
    met: null,
    data: { hono: strip(honoEntry), testing: strip(testingEntry) },
  }];
  const notes = [
    `Size: deno bundle --minify --platform browser <entry>, gzipped with node:zlib at level 9; KB = 1,024 bytes. Our code = the core bundled with --external jose; jose ≈ the difference of the two gzipped sizes (gzip is not additive, so this is an estimate). The reference figures (minified + gzipped, as bundle-size sites show them) are quoted, not measured here. Bundles are in ${outDir}/.`,
  ];
  return { name: "size", rows, notes };
}

function strip(b: { minified: number; gzipped: number }) {
  return { minified: b.minified, gzipped: b.gzipped };
}
