import assert from "node:assert/strict";
import { listAll } from "../src/list_all.ts";
import type { PageInfo } from "../src/paginate.ts";
import type { ListFn, ListParams } from "../src/types.ts";

interface Msg {
  id: string;
  conversationId: string;
}

/** A scoped list like `talk.messages.list`: requires `conversationId`. */
function messagesList(
  perConversation: number,
  maxLimit = 4,
): ListFn<Msg, { conversationId: string }> & { requests: ListParams[] } {
  const requests: (ListParams & { conversationId: string })[] = [];
  const list = (params?: ListParams & { conversationId: string }) => {
    if (!params?.conversationId) {
      return Promise.reject(new TypeError("conversationId missing"));
    }
    requests.push(params);
    const all = Array.from({ length: perConversation }, (_, n) => ({
      id: `${params.conversationId}-m${n}`,
      conversationId: params.conversationId,
    }));
    const from = params.startingAfter === undefined
      ? 0
      : all.findIndex((m) => m.id === params.startingAfter) + 1;
    return Promise.resolve({
      data: all.slice(from, from + (params.limit ?? 10)),
    });
  };
  return Object.assign(list, { maxLimit, requests });
}

Deno.test("listAll() yields every record in order, across pages", async () => {
  const list = messagesList(10, 4);
  const all = await Array.fromAsync(listAll(list, { conversationId: "c1" }));
  assert.deepEqual(
    all.map((m) => m.id),
    Array.from({ length: 10 }, (_, n) => `c1-m${n}`),
  );
  assert.deepEqual(list.requests.map((r) => [r.limit, r.startingAfter]), [
    [4, undefined],
    [4, "c1-m3"],
    [4, "c1-m7"],
  ]);
});

Deno.test("listAll() stops at maxItems without an extra request", async () => {
  const list = messagesList(100, 4);
  const infos: PageInfo[] = [];
  const some = await Array.fromAsync(
    listAll(list, {
      conversationId: "c",
      maxItems: 6,
      onPage: (i) => infos.push(i),
    }),
  );
  assert.equal(some.length, 6);
  assert.deepEqual(list.requests.map((r) => r.limit), [4, 2]);
  assert.deepEqual(infos, [{ page: 1, items: 4, total: 4 }, {
    page: 2,
    items: 2,
    total: 6,
  }]);
});

Deno.test("listAll() stops on an empty page", async () => {
  const list = messagesList(8, 4);
  assert.equal(
    (await Array.fromAsync(listAll(list, { conversationId: "c" }))).length,
    8,
  );
  assert.equal(list.requests.length, 3);
});

Deno.test("listAll() fetches the next page only when the consumer gets there", async () => {
  const list = messagesList(100, 4);
  let n = 0;
  for await (const _ of listAll(list, { conversationId: "c" })) {
    if (++n === 5) break;
  }
  assert.equal(list.requests.length, 2);
});

Deno.test("listAll() passes the signal and rejects with a failing page's error", async () => {
  const controller = new AbortController();
  const list = messagesList(6, 4);
  await Array.fromAsync(
    listAll(list, { conversationId: "c", signal: controller.signal }),
  );
  for (const r of list.requests) assert.equal(r.signal, controller.signal);

  const failure = new Error("boom");
  const failing: ListFn<Msg> = Object.assign(() => Promise.reject(failure), {
    maxLimit: 3,
  });
  await assert.rejects(Array.fromAsync(listAll(failing)), (e) => e === failure);
});

Deno.test("listAll() validates its arguments before any request", () => {
  const list = messagesList(6, 4);
  assert.throws(() => listAll(list, { conversationId: "c", limit: 5 }), {
    name: "RangeError",
    message:
      "Cannot paginate as 'limit' must be an integer from 1 to 4: current value is 5",
  });
  assert.throws(
    () => listAll(list, { conversationId: "c", maxItems: 1.5 }),
    RangeError,
  );
  assert.equal(list.requests.length, 0);
});
