/**
 * Test tools: an in-memory TalkJS REST API (`createEmulator`) that the client
 * plugs into through its `fetch` option, and a manual clock.
 *
 * @example Run the client against the emulator
 * ```ts
 * import { createClient } from "@unofficial/talkjs-rest";
 * import { createEmulator } from "@unofficial/talkjs-rest/testing";
 *
 * const emu = createEmulator();
 * const talk = createClient({
 *   appId: emu.appId,
 *   secretKey: emu.secretKey,
 *   baseUrl: emu.baseUrl,
 *   fetch: emu.fetch,
 * });
 * await talk.users.put("alice", { name: "Alice" });
 * console.log((await talk.users.get("alice")).name); // Alice
 * ```
 *
 * @module
 */
export * from "./src/emulator/emulator.ts";
export * from "./src/manual_clock.ts";
