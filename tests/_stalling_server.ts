import { serveTcp } from "./_fake_server.ts";

/**
 * A raw-TCP server that reads each request and then stalls: before the
 * status line (`"headers"`), or after the headers and a few bytes of the
 * body (`"body"`). Connections stay open until the client gives up or the
 * server closes.
 */
export function startStallingServer(where: "headers" | "body"): {
  url: string;
  requests: number;
  close(): Promise<void>;
} {
  const state = { requests: 0 };
  const enc = new TextEncoder();
  async function handle(conn: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    let seen = "";
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return;
      seen += new TextDecoder().decode(buf.subarray(0, n));
      if (!seen.includes("\r\n\r\n")) continue;
      state.requests++;
      seen = "";
      if (where === "body") {
        await conn.write(enc.encode(
          'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 64\r\n\r\n{"id":',
        ));
      }
      // Stall: read on until the client hangs up.
    }
  }
  const server = serveTcp(handle);
  return {
    url: `http://127.0.0.1:${server.port}`,
    get requests() {
      return state.requests;
    },
    close: () => server.close(),
  };
}
