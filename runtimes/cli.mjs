/**
 * Runs the smoke scenario in Node or Bun and prints its result as one JSON
 * line; exits 1 when a check failed.
 *
 * @module
 */
import process from "node:process";
import { smoke } from "./smoke.mjs";

const result = await smoke();
console.log(JSON.stringify(result));
process.exitCode = result.ok ? 0 : 1;
