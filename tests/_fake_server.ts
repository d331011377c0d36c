/**
 * A loopback HTTP/1.1 server over raw TCP that records what it receives and
 * answers from a script. Raw TCP, so that it can also cut a connection in the
 * middle of a body, as a real network does.
 */
export interface Recorded {
  method: string;
  /** Raw path and query, as sent on the wire. */
  path: string;
  headers: Headers;
  body: string;
  /** The body's bytes, as received (`body` is their UTF-8 decoding). */
  bytes: Uint8Array<ArrayBuffer>;
}

/** Answer this to send the headers and part of the body, then close the socket. */
export const CUT = Symbol("cut");

export type Responder = (
  req: Recorded,
) => Response | typeof CUT | Promise<Response | typeof CUT>;

export interface FakeServer {
  url: string;
  port: number;
  requests: Recorded[];
  /** Answers the next requests with these responders, in order; then the default. */
  queue(...responders: Responder[]): void;
  setDefault(responder: Responder): void;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export function json(
  body: unknown,
  status = 200,
  headers: HeadersInit = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/json",
      ...Object.fromEntries(new Headers(headers)),
    },
  });
}

/**
 * What TalkJS answers a successful write: `{}`, except a message send, which
 * answers one `{ id }` per message, in order.
 */
export function talkJsDefault(req: Recorded): Response {
  if (
    req.method === "POST" && /\/conversations\/[^/]+\/messages$/.test(req.path)
  ) {
    const sent = JSON.parse(req.body) as unknown[];
    return json(sent.map((_, i) => ({ id: `msg_${requestCount++}_${i}` })));
  }
  return json({});
}
let requestCount = 0;

/** A responder that cuts the connection mid-body. */
export const cutBody = (): typeof CUT => CUT;

const enc = new TextEncoder();
const dec = new TextDecoder();

function indexOf(buf: Uint8Array, seq: number[], from = 0): number {
  outer: for (let i = from; i <= buf.length - seq.length; i++) {
    for (let j = 0; j < seq.length; j++) {
      if (buf[i + j] !== seq[j]) continue outer;
    }
    return i;
  }
  return -1;
}

async function readRequest(conn: Deno.Conn): Promise<Recorded | undefined> {
  let buf = new Uint8Array(0);
  const chunk = new Uint8Array(64 * 1024);
  let headerEnd = -1;
  while (headerEnd < 0) {
    const n = await conn.read(chunk).catch(() => null);
    if (n === null) return undefined;
    const next = new Uint8Array(buf.length + n);
    next.set(buf);
    next.set(chunk.subarray(0, n), buf.length);
    buf = next;
    headerEnd = indexOf(buf, [13, 10, 13, 10]);
  }
  const head = dec.decode(buf.subarray(0, headerEnd)).split("\r\n");
  const [method, path] = head[0]!.split(" ");
  const headers = new Headers();
  for (const line of head.slice(1)) {
    const i = line.indexOf(":");
    headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  const length = Number(headers.get("content-length") ?? 0);
  let body = buf.subarray(headerEnd + 4);
  while (body.length < length) {
    const n = await conn.read(chunk).catch(() => null);
    if (n === null) return undefined;
    const next = new Uint8Array(body.length + n);
    next.set(body);
    next.set(chunk.subarray(0, n), body.length);
    body = next;
  }
  return {
    method: method!,
    path: path!,
    headers,
    body: dec.decode(body.subarray(0, length)),
    bytes: body.slice(0, length),
  };
}

async function write(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/** A loopback TCP server that hands each connection to `handle`, then closes it. */
export interface TcpServer {
  port: number;
  /** Stops listening, closes every connection and waits for the handlers. */
  close(): Promise<void>;
}

export function serveTcp(
  handle: (conn: Deno.Conn) => Promise<void>,
): TcpServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const handlers = new Set<Promise<void>>();
  const closeConn = (conn: Deno.Conn) => {
    conns.delete(conn);
    try {
      conn.close();
    } catch { /* already closed */ }
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      const h = handle(conn)
        // The client went away (timeout, abort): nothing to answer.
        .catch(() => {})
        .finally(() => closeConn(conn));
      handlers.add(h);
      h.finally(() => handlers.delete(h));
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      try {
        listener.close();
      } catch { /* closed */ }
      for (const c of conns) closeConn(c);
      await accepting;
      await Promise.allSettled([...handlers]);
    },
  };
}

export function startFakeServer(): FakeServer {
  const requests: Recorded[] = [];
  const scripted: Responder[] = [];
  let fallback: Responder = talkJsDefault;
  async function handle(conn: Deno.Conn): Promise<void> {
    for (;;) {
      const req = await readRequest(conn);
      if (!req) return;
      requests.push(req);
      const answer = await (scripted.shift() ?? fallback)(req);
      if (answer === CUT) {
        await write(
          conn,
          enc.encode(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n" +
              '{"data":[{"id":',
          ),
        );
        return;
      }
      const body = new Uint8Array(await answer.arrayBuffer());
      let head = `HTTP/1.1 ${answer.status} X\r\n`;
      answer.headers.forEach((v, k) => {
        if (k !== "content-length") head += `${k}: ${v}\r\n`;
      });
      head += `content-length: ${body.length}\r\n\r\n`;
      // One write: headers and body in two would wait on Nagle's algorithm.
      const headBytes = enc.encode(head);
      const message = new Uint8Array(headBytes.length + body.length);
      message.set(headBytes);
      message.set(body, headBytes.length);
      await write(conn, message);
    }
  }

  const server = serveTcp(handle);
  const close = () => server.close();
  return {
    url: `http://127.0.0.1:${server.port}`,
    port: server.port,
    requests,
    queue: (...r) => void scripted.push(...r),
    setDefault: (r) => void (fallback = r),
    close,
    [Symbol.asyncDispose]: close,
  };
}
