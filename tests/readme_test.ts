// The README as a new user reads it: every snippet named after a file
// (`// quickstart.ts`) is written to that file and run with the command the
// README gives for it, against `deno task emulator` as the README starts it
// (on a free port), with the variables its banner prints.
//
// What differs from a user's machine, and only that: `npx -y deno@2.9.6` is
// this Deno; the package's specifiers (`jsr:@unofficial/talkjs-rest`, and
// `@unofficial/talkjs-rest/hono` after `deno add`) map to this checkout,
// since JSR is out of reach here; `deno serve` gets `--port=0`; the clone's
// `deno task build` is `bin/build.ts --out`, and `npm install` runs offline.
import assert from "node:assert/strict";
import { jwtVerify } from "jose";
import { signWebhook } from "../mod.ts";
import {
  cleanEnv,
  type Served,
  startEmulator,
  startServed,
} from "./_served.ts";
import { redisTest, useRedis } from "./_redis.ts";

const root = new URL("../", import.meta.url).pathname;
const readme = await Deno.readTextFile(`${root}README.md`);
const decoder = new TextDecoder();

interface Block {
  lang: string;
  code: string;
}

/** Every fenced block, in order (a block inside a list item too). */
function blocks(): Block[] {
  const found: Block[] = [];
  const fence = /^( *)```(\w*)[^\n]*\n([\s\S]*?)^\1```$/gm;
  for (const m of readme.matchAll(fence)) {
    const indent = m[1]!.length;
    found.push({
      lang: m[2]!,
      code: m[3]!.split("\n").map((l) => l.slice(indent)).join("\n"),
    });
  }
  return found;
}

interface Snippet {
  file: string;
  code: string;
  /** The line of the next sh block that runs `file`, without its comment. */
  command: string[];
}

function snippets(): Snippet[] {
  const all = blocks();
  const found: Snippet[] = [];
  all.forEach((block, i) => {
    const file = /^\/\/ ([\w.-]+\.(?:ts|mjs))\n/.exec(block.code)?.[1];
    if (!file) return;
    const line = all.slice(i + 1).filter((b) => b.lang === "sh")
      .flatMap((b) => b.code.split("\n"))
      .find((l) => l.split(/\s+/).includes(file));
    assert.ok(line, `no command runs ${file}`);
    found.push({
      file,
      code: block.code,
      command: line.replace(/\s+#.*$/, "").trim().split(/\s+/),
    });
  });
  return found;
}

function snippet(file: string): Snippet {
  const found = snippets().find((s) => s.file === file);
  assert.ok(found, `README has no snippet ${file}`);
  return found;
}

/** The README's command, as this machine runs it (see the top of this file). */
function local(command: string[]): string[] {
  const line = command.join(" ").replace(/^npx -y deno@2\.9\.6 /, "deno ")
    .split(" ");
  if (line[0] === "deno") line[0] = Deno.execPath();
  return line;
}

/** A folder for the Deno snippets, whose deno.json maps the package to this checkout. */
async function denoProject(
  extra: Record<string, string> = {},
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "talkjs-readme-" });
  const config = JSON.parse(await Deno.readTextFile(`${root}deno.json`));
  await Deno.writeTextFile(
    `${dir}/deno.json`,
    JSON.stringify({
      imports: {
        ...config.imports,
        "jsr:@unofficial/talkjs-rest": `${root}mod.ts`,
        "@unofficial/talkjs-rest": `${root}mod.ts`,
        "@unofficial/talkjs-rest/hono": `${root}hono.ts`,
        ...extra,
      },
    }),
  );
  await Deno.copyFile(`${root}deno.lock`, `${dir}/deno.lock`);
  return dir;
}

/** The three variables, as the emulator's banner prints them and the README sets them. */
function variables(emulator: Served): Record<string, string> {
  const line = /export (TALKJS_APP_ID=.*)$/m.exec(emulator.banner)?.[1];
  assert.ok(line, emulator.banner);
  // The README's line is the banner's, for the default port.
  assert.ok(
    readme.includes(
      "export " + line.replace(emulator.match, "http://127.0.0.1:8787"),
    ),
    `the README's export line differs from the banner's: ${line}`,
  );
  return Object.fromEntries(
    line.split(" ").map((pair) => pair.split("=", 2) as [string, string]),
  );
}

async function run(
  command: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<string> {
  const [program, ...args] = command;
  const { code, stdout, stderr } = await new Deno.Command(program!, {
    args,
    cwd,
    env: cleanEnv(env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const out = decoder.decode(stdout);
  assert.equal(
    code,
    0,
    `${command.join(" ")} failed:\n${out}\n${decoder.decode(stderr)}`,
  );
  return out;
}

async function emulatorGet(emulator: Served, path: string): Promise<unknown> {
  const res = await fetch(`${emulator.match}/v1/tEmulator${path}`, {
    headers: { authorization: "Bearer sk_test_emulator" },
  });
  assert.equal(res.status, 200, path);
  return await res.json();
}

Deno.test("README: the Deno quick start runs as written against deno task emulator", async () => {
  await using emulator = await startEmulator();
  const dir = await denoProject();
  try {
    const { file, code, command } = snippet("quickstart.ts");
    assert.deepEqual(command.slice(0, 4), ["npx", "-y", "deno@2.9.6", "run"]);
    await Deno.writeTextFile(`${dir}/${file}`, code);
    await run([Deno.execPath(), "check", file], dir, {});
    const out = await run(local(command), dir, variables(emulator));
    assert.match(out, /^order-42 Order #42$/m);
    const stored = await emulatorGet(
      emulator,
      "/conversations/order-42/messages",
    );
    assert.equal((stored as { data: { text: string }[] }).data[0]?.text, "Hi!");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("README: the Hono app serves on Deno as written, configured by the environment", async () => {
  await using emulator = await startEmulator();
  const dir = await denoProject();
  try {
    const { file, code, command } = snippet("app.ts");
    assert.deepEqual(command.slice(0, 4), ["npx", "-y", "deno@2.9.6", "serve"]);
    await Deno.writeTextFile(`${dir}/${file}`, code);
    await run([Deno.execPath(), "check", file], dir, {});
    const [deno, serve, ...rest] = local(command);
    const env = variables(emulator);
    await using app = await startServed(
      [serve!, "--port=0", ...rest],
      /Listening on https?:\/\/[^:]+:(\d+)/,
      env,
      dir,
    );
    assert.equal(deno, Deno.execPath(), "startServed runs this Deno");
    const base = `http://127.0.0.1:${app.match}`;

    const chat = await fetch(`${base}/api/orders/7/chat`, { method: "POST" });
    assert.deepEqual([chat.status, await chat.json()], [200, { ok: true }]);
    const stored = await emulatorGet(emulator, "/conversations/order-7");
    assert.deepEqual(
      Object.keys((stored as { participants: object }).participants),
      ["alice"],
    );

    const token = await fetch(`${base}/talkjs/token`, {
      headers: { "x-user-id": "alice" },
    });
    assert.equal(token.status, 200);
    const { payload } = await jwtVerify(
      (await token.json()).token,
      new TextEncoder().encode(env.TALKJS_SECRET_KEY),
    );
    assert.deepEqual([payload.iss, payload.sub], ["tEmulator", "alice"]);
    assert.equal((await fetch(`${base}/talkjs/token`)).status, 401);

    const body = JSON.stringify({
      id: "evt_1",
      createdAt: Date.now(),
      type: "user.updated",
      data: { user: { id: "alice" } },
    });
    const event = await fetch(`${base}/talkjs/events`, {
      method: "POST",
      body,
      headers: await signWebhook({ secret: env.TALKJS_SECRET_KEY!, body }),
    });
    assert.equal(event.status, 200, await event.clone().text());
    await event.body?.cancel();
    const forged = await fetch(`${base}/talkjs/events`, {
      method: "POST",
      body: body.replace("alice", "mallory"),
      headers: await signWebhook({ secret: env.TALKJS_SECRET_KEY!, body }),
    });
    assert.equal(forged.status, 401);
    await forged.body?.cancel();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("README: the logging and metrics snippet runs as written and counts what it logs", async () => {
  await using emulator = await startEmulator();
  const dir = await denoProject();
  try {
    const { file, code, command } = snippet("observe.ts");
    await Deno.writeTextFile(`${dir}/${file}`, code);
    await run([Deno.execPath(), "check", file], dir, {});
    const out = await run(local(command), dir, variables(emulator));
    const lines = out.trim().split("\n");
    assert.match(lines[0]!, /^PUT \/v1\/tEmulator\/users\/alice #1 200 \d+ms$/);
    assert.match(lines[1]!, /^GET \/v1\/tEmulator\/users\/alice #1 200 \d+ms$/);
    assert.match(
      lines[2]!,
      /^GET \/v1\/tEmulator\/users\/nobody #1 404 \d+ms$/,
    );
    const metrics = lines.slice(3).join(" ").replace(/\s+/g, " ");
    assert.match(metrics, /attempts: 3, retries: 0, queuedMs: \d+/);
    assert.match(metrics, /byOutcome: \{ "200": 2, "404": 1 \}/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("README: from Node, built from a clone and installed with npm as written, with types", async () => {
  await using emulator = await startEmulator();
  const dir = await Deno.makeTempDir({ prefix: "talkjs-readme-node-" });
  try {
    const steps = blocks().filter((b) => b.lang === "sh")
      .map((b) => b.code).find((c) => c.includes("task build"));
    assert.ok(steps, "the README shows how to build from a clone");
    assert.match(steps, /\(cd talkjs-rest && npx -y deno@2\.9\.6 task build\)/);
    const install = /^npm install (\S+)/m.exec(steps);
    assert.equal(install?.[1], "./talkjs-rest/dist");
    // The clone's `deno task build`, into the clone's dist/.
    await run(
      [
        Deno.execPath(),
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-run",
        `${root}bin/build.ts`,
        "--out",
        `${dir}/talkjs-rest/dist`,
      ],
      root,
      {},
    );
    await run(
      ["npm", "install", "--offline", "--no-audit", "--no-fund", install![1]!],
      dir,
      {},
    );
    const { file, code, command } = snippet("import.mjs");
    assert.deepEqual(command, ["node", file]);
    await Deno.writeTextFile(`${dir}/${file}`, code);
    const out = await run(command, dir, variables(emulator));
    assert.deepEqual(out.trim().split("\n"), ["100/250", "200/250", "250/250"]);
    const user = await emulatorGet(emulator, "/users/user-250");
    assert.equal((user as { name: string }).name, "User 250");

    // TypeScript users get the types through the same import.
    await Deno.writeTextFile(
      `${dir}/typed.ts`,
      `import { createClient, type ResponseInfo, type TalkJsClient } from "@unofficial/talkjs-rest";
const talk: TalkJsClient = createClient({
  appId: "tApp",
  secretKey: "sk_test_key",
  onResponse: (info: ResponseInfo) => console.log(info.status),
});
// @ts-expect-error appId is a string
const wrong: number = talk.appId;
export { wrong };
`,
    );
    await run([Deno.execPath(), "check", "typed.ts"], dir, {});
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

redisTest(
  "README: the Redis snippet runs as written, its limiter's budget in Redis",
  async () => {
    await using emulator = await startEmulator();
    const redis = await useRedis();
    const dir = await denoProject({
      "@unofficial/talkjs-rest/redis": `${root}redis.ts`,
      ioredis: "npm:ioredis@6.0.0",
      redis: "npm:redis@6.3.1",
    });
    try {
      const { file, code, command } = snippet("fleet.ts");
      assert.deepEqual(command.slice(0, 4), ["npx", "-y", "deno@2.9.6", "run"]);
      await Deno.writeTextFile(`${dir}/${file}`, code);
      await run([Deno.execPath(), "check", file], dir, {});
      const out = await run(local(command), dir, {
        ...variables(emulator),
        REDIS_URL: `redis://127.0.0.1:${redis.port}`,
      });
      assert.match(out, /^Fleet$/m);
      assert.equal(
        ((await emulatorGet(emulator, "/users/fleet")) as { name: string })
          .name,
        "Fleet",
      );
    } finally {
      await redis.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("README: every snippet named after a file is run by a test here", () => {
  assert.deepEqual(snippets().map((s) => s.file), [
    "quickstart.ts",
    "app.ts",
    "import.mjs",
    "observe.ts",
    "fleet.ts",
  ]);
});

Deno.test("README: every file it names is in the repository", async () => {
  const named = new Set<string>();
  const bare = new Set<string>();
  for (const [, path] of readme.matchAll(/`([^`\s]+)`/g)) {
    if (/^(src|tests|examples|bench|bin|docs|runtimes|\.ci)\//.test(path!)) {
      named.add(path!.replace(/[),.:]+$/, ""));
    } else if (/^[\w.-]+\.(md|ts|json|toml)$/.test(path!)) bare.add(path!);
  }
  for (const [, path] of readme.matchAll(/\]\(([^)#\s]+)\)/g)) {
    if (!/^[a-z]+:/.test(path!)) named.add(path!);
  }
  // Files a user creates from a snippet, not files of this repository.
  for (const file of snippets().map((s) => s.file)) named.delete(file);
  assert.ok(named.size > 20, `only ${named.size} paths found`);
  const missing = [];
  for (const path of named) {
    try {
      await Deno.stat(`${root}${path}`);
    } catch {
      missing.push(path);
    }
  }
  assert.deepEqual(missing, [], "paths the README names");
  // A bare name (`secrets_test.ts`, `wrangler.toml`) is some file's name.
  const { stdout } = await new Deno.Command("git", {
    args: ["ls-files"],
    cwd: root,
    stdout: "piped",
  }).output();
  const names = new Set(
    decoder.decode(stdout).split("\n").map((p) => p.split("/").pop()),
  );
  // What `deno task build` writes, and the files of snippets.
  const built = ["talkjs-rest.d.ts", ...snippets().map((s) => s.file)];
  assert.deepEqual(
    [...bare].filter((name) => !names.has(name) && !built.includes(name)),
    [],
    "file names the README gives",
  );
});
