/**
 * Builds the core entry (`mod.ts`) for Node and Bun from a clone: an npm
 * package in `dist/` (or `--out DIR`) named `@unofficial/talkjs-rest`, with
 * `talkjs-rest.js` (ESM, jose bundled in, web globals only) and its types,
 * `talkjs-rest.d.ts`. Install it with `npm install ./dist` or `bun add ./dist`.
 * JSR's npm layer (`npx jsr add @unofficial/talkjs-rest`) gives every entry
 * point; this build gives the core.
 *
 * ```sh
 * npx -y deno@2.9.6 task build              # dist/
 * npx -y deno@2.9.6 task build --out lib    # another folder
 * ```
 *
 * @module
 */

const root = new URL("../", import.meta.url);
const NAME = "talkjs-rest";

function usage(message: string): never {
  console.error(`${message} (usage: deno task build [--out DIR])`);
  Deno.exit(2);
}

function parseOut(args: string[]): string {
  if (args.length === 0) return new URL("dist", root).pathname;
  const [flag, value] = args[0]!.split("=", 2);
  if (flag === "--help" || flag === "-h") {
    console.log(
      "Usage: deno task build [--out DIR]\n\nBuilds mod.ts into DIR (default dist/) as an npm package with types: npm install ./dist",
    );
    Deno.exit(0);
  }
  if (flag !== "--out") usage(`Unknown argument: ${args[0]}`);
  const out = value ?? args[1];
  if (!out || args.length > (value === undefined ? 2 : 1)) {
    usage("--out takes one folder");
  }
  return out;
}

async function run(args: string[], what: string): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root.pathname,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`${what} failed:\n${new TextDecoder().decode(stderr)}`);
  }
}

/**
 * `deno bundle --declaration` writes each module's declarations one after
 * another, keeping type-only imports between our own files
 * (`import type { RequestFn } from "../_http.ts"`), which point nowhere from
 * `dist/`. Drop them and declare each name they brought, from its source.
 */
async function fixDeclarations(dts: string): Promise<string> {
  const names = new Map<string, string>();
  const kept = dts.split("\n").filter((line) => {
    const m = /^import type \{ ([^}]+) \} from "(\.{1,2}\/[^"]+)";$/.exec(line);
    if (!m) return true;
    for (const name of m[1]!.split(",").map((n) => n.trim())) {
      names.set(name, m[2]!);
    }
    return false;
  });
  let text = kept.join("\n");
  for (const name of names.keys()) {
    if (
      new RegExp(`^(export )?(declare )?(type|interface) ${name}\\b`, "m").test(
        text,
      )
    ) {
      continue;
    }
    text += "\n" + await declarationOf(name);
  }
  const stray = /^import .* from "\.{1,2}\//m.exec(text);
  if (stray) throw new Error(`declarations still import a file: ${stray[0]}`);
  return text;
}

/**
 * The declarations also export what `mod.ts` does not (each resource
 * file's factory): a function, class or constant the bundle does not
 * export stays declared, unexported.
 */
function onlyExported(dts: string, exported: string[]): string {
  // `export {}` ends TypeScript's habit of exporting everything a .d.ts declares.
  return "export {};\n" + dts.replace(
    /^export declare (function|class|const|let) (\w+)/gm,
    (line, _kind, name) =>
      exported.includes(name) ? line : line.replace(/^export /, ""),
  );
}

/** `type Name = …;` as written in src/ (a type alias ends at a line ending in ";"). */
async function declarationOf(name: string): Promise<string> {
  for await (const entry of Deno.readDir(new URL("src/", root))) {
    if (!entry.name.endsWith(".ts")) continue;
    const source = await Deno.readTextFile(new URL(`src/${entry.name}`, root));
    const m = new RegExp(`^export type ${name}\\b[\\s\\S]*?;$`, "m").exec(
      source,
    );
    if (m) return m[0].replace(/^export /, "");
  }
  throw new Error(`cannot find the declaration of ${name} in src/`);
}

/**
 * The output folder, absolute (a relative one is taken from the current
 * folder), refused unless it is new, empty, or an earlier build of this
 * package: the build empties it first, and must never empty anything else.
 */
async function outputFolder(raw: string, packageName: string): Promise<string> {
  const out = new URL(raw.replace(/\/?$/, "/"), `file://${Deno.cwd()}/`)
    .pathname.replace(/\/$/, "");
  let entries: string[];
  try {
    entries = [];
    for await (const entry of Deno.readDir(out)) entries.push(entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return out;
    throw error;
  }
  if (!entries.length) return out;
  const built = await Deno.readTextFile(`${out}/package.json`)
    .then((text) => JSON.parse(text).name === packageName, () => false);
  if (!built) {
    usage(
      `Refusing to empty ${out}: it is not an earlier build of ${packageName} (no package.json of ours); give a new or empty folder`,
    );
  }
  return out;
}

if (import.meta.main) {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", root)),
  );
  const out = await outputFolder(parseOut(Deno.args), config.name);
  // Declarations are checked against the web's types, not Deno's: Deno's
  // node types make `deno bundle --declaration` fail.
  const tmp = await Deno.makeTempDir({ prefix: "talkjs-build-" });
  try {
    await Deno.writeTextFile(
      `${tmp}/deno.json`,
      JSON.stringify({
        compilerOptions: { ...config.compilerOptions, lib: ["esnext", "dom"] },
        imports: config.imports,
      }),
    );
    await Deno.remove(out, { recursive: true }).catch(() => {});
    await run([
      "bundle",
      "--quiet",
      "--config",
      `${tmp}/deno.json`,
      "--platform",
      "browser",
      "--declaration",
      "-o",
      `${out}/${NAME}.js`,
      "mod.ts",
    ], "deno bundle");
    const dtsPath = `${out}/${NAME}.d.ts`;
    const exported = Object.keys(await import(`file://${out}/${NAME}.js`));
    await Deno.writeTextFile(
      dtsPath,
      onlyExported(
        await fixDeclarations(await Deno.readTextFile(dtsPath)),
        exported,
      ),
    );
    // The types must type-check on their own, as a TypeScript user meets them.
    await Deno.writeTextFile(
      `${tmp}/probe.ts`,
      `import type { ClientOptions, TalkJsClient } from "${dtsPath}";\n` +
        `export type Probe = [ClientOptions, TalkJsClient];\n`,
    );
    await run(
      ["check", "--config", `${tmp}/deno.json`, `${tmp}/probe.ts`],
      "checking the declarations",
    );
    await Deno.writeTextFile(
      `${out}/package.json`,
      JSON.stringify(
        {
          name: config.name,
          version: config.version,
          description:
            "Unofficial TalkJS REST API client (the core entry, built from a clone)",
          license: config.license,
          type: "module",
          exports: {
            ".": { types: `./${NAME}.d.ts`, default: `./${NAME}.js` },
          },
          types: `./${NAME}.d.ts`,
          engines: { node: ">=20" },
        },
        null,
        2,
      ) + "\n",
    );
    await Deno.copyFile(new URL("LICENSE", root), `${out}/LICENSE`);
    console.log(
      `Built ${out}/: ${NAME}.js, ${NAME}.d.ts, package.json (${config.name} ${config.version}). ` +
        `Install it: npm install ${out} (or bun add ${out}).`,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}
