/** `deno task build` (bin/build.ts): where it writes, and what it refuses to empty. */
import assert from "node:assert/strict";

const build = new URL("../bin/build.ts", import.meta.url).pathname;

async function runBuild(cwd: string, ...args: string[]) {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-run",
      build,
      ...args,
    ],
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}

Deno.test("deno task build refuses to empty a folder that is not an earlier build, and writes a relative --out under the current folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "talkjs-build-test-" });
  try {
    await Deno.writeTextFile(`${dir}/keep.txt`, "mine");
    const refused = await runBuild(dir, "--out", ".");
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /Refusing to empty .*not an earlier build/);
    assert.equal(await Deno.readTextFile(`${dir}/keep.txt`), "mine");

    const built = await runBuild(dir, "--out", "lib");
    assert.equal(built.code, 0, built.stderr);
    const pkg = JSON.parse(await Deno.readTextFile(`${dir}/lib/package.json`));
    assert.equal(pkg.name, "@unofficial/talkjs-rest");
    // An earlier build is rebuilt in place.
    const again = await runBuild(dir, "--out", "lib");
    assert.equal(again.code, 0, again.stderr);
    assert.equal(await Deno.readTextFile(`${dir}/keep.txt`), "mine");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
