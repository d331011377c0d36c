import assert from "node:assert/strict";
import { type PageInfo, paginate } from "../src/paginate.ts";
import type { ListFn, ListParams } from "../src/types.ts";

interface Rec {
  id: string;
  n: number;
}

interface Filters {
  scope?: string;
}

/** A list over `count` records that records every request it gets. */
function fakeList(
  count: number,
  maxLimit = 5,
): ListFn<Rec, Filters> & { requests: (ListParams & Filters)[] } {
  const records = Array.from({ length: count }, (_, n) => ({ id: `r${n}`, n }));
  const requests: (ListParams & Filters)[] = [];
  const list = (params: ListParams & Filters = {}) => {
    requests.push(params);
    const limit = params.limit ?? 10;
    const from = params.startingAfter === undefined
      ? 0
      : records.findIndex((r) => r.id === params.startingAfter) + 1;
    return Promise.resolve({ data: records.slice(from, from + limit) });
  };
  return Object.assign(list, { maxLimit, requests });
}

async function collect<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

const ids = (pages: Rec[][]) => pages.map((p) => p.map((r) => r.id).join(","));

Deno.test("paginate() walks pages of maxLimit, each after the last id, until a short page", async () => {
  const list = fakeList(12, 5);
  const pages = await collect(paginate(list));
  assert.deepEqual(ids(pages), ["r0,r1,r2,r3,r4", "r5,r6,r7,r8,r9", "r10,r11"]);
  assert.deepEqual(list.requests, [
    { limit: 5 },
    { limit: 5, startingAfter: "r4" },
    { limit: 5, startingAfter: "r9" },
  ]);
});

Deno.test("paginate() stops on an empty page after a full one", async () => {
  const list = fakeList(10, 5);
  const pages = await collect(paginate(list));
  assert.deepEqual(ids(pages), ["r0,r1,r2,r3,r4", "r5,r6,r7,r8,r9"]);
  assert.equal(list.requests.length, 3); // the third answers [] and ends the walk
});

Deno.test("paginate() yields nothing for an empty list, after one request", async () => {
  const list = fakeList(0);
  assert.deepEqual(await collect(paginate(list)), []);
  assert.equal(list.requests.length, 1);
});

Deno.test("paginate() honours limit and startingAfter, and passes the list's own filters", async () => {
  const list = fakeList(9, 5);
  const pages = await collect(
    paginate(list, { limit: 3, startingAfter: "r1", scope: "x" }),
  );
  assert.deepEqual(ids(pages), ["r2,r3,r4", "r5,r6,r7", "r8"]);
  assert.deepEqual(list.requests, [
    { scope: "x", limit: 3, startingAfter: "r1" },
    { scope: "x", limit: 3, startingAfter: "r4" },
    { scope: "x", limit: 3, startingAfter: "r7" },
  ]);
});

Deno.test("paginate() never yields more than maxItems and asks only for what remains", async () => {
  const list = fakeList(100, 5);
  const pages = await collect(paginate(list, { maxItems: 7 }));
  assert.deepEqual(ids(pages), ["r0,r1,r2,r3,r4", "r5,r6"]);
  assert.deepEqual(list.requests.map((r) => r.limit), [5, 2]);

  const exact = fakeList(100, 5);
  assert.equal(
    (await collect(paginate(exact, { maxItems: 10 }))).flat().length,
    10,
  );
  assert.equal(exact.requests.length, 2); // no third request to find out

  const none = fakeList(100, 5);
  assert.deepEqual(await collect(paginate(none, { maxItems: 0 })), []);
  assert.equal(none.requests.length, 0);
});

Deno.test("paginate() trims a page from a list that ignores limit", async () => {
  const records = Array.from({ length: 8 }, (_, n) => ({ id: `r${n}`, n }));
  const list: ListFn<Rec> = Object.assign(
    () => Promise.resolve({ data: records }),
    {
      maxLimit: 10,
    },
  );
  const pages = await collect(paginate(list, { maxItems: 3 }));
  assert.deepEqual(ids(pages), ["r0,r1,r2"]);
});

Deno.test("paginate() calls onPage after every request", async () => {
  const list = fakeList(10, 4);
  const infos: PageInfo[] = [];
  const seenBeforeYield: number[] = [];
  for await (
    const page of paginate(list, { onPage: (info) => infos.push(info) })
  ) {
    seenBeforeYield.push(infos.length);
    assert.equal(infos.at(-1)!.items, page.length);
  }
  assert.deepEqual(infos, [
    { page: 1, items: 4, total: 4 },
    { page: 2, items: 4, total: 8 },
    { page: 3, items: 2, total: 10 },
  ]);
  assert.deepEqual(seenBeforeYield, [1, 2, 3]);

  const empty: PageInfo[] = [];
  await collect(
    paginate(fakeList(4, 4), { onPage: (info) => empty.push(info) }),
  );
  assert.deepEqual(empty, [{ page: 1, items: 4, total: 4 }, {
    page: 2,
    items: 0,
    total: 4,
  }]);
});

Deno.test("paginate() passes the caller's signal to every page request", async () => {
  const list = fakeList(11, 5);
  const controller = new AbortController();
  await collect(paginate(list, { signal: controller.signal }));
  assert.equal(list.requests.length, 3);
  for (const r of list.requests) assert.equal(r.signal, controller.signal);
});

Deno.test("paginate() stops with signal.reason once aborted between pages", async () => {
  const list = fakeList(20, 5);
  const controller = new AbortController();
  const reason = new Error("enough");
  const pages: Rec[][] = [];
  await assert.rejects(
    (async () => {
      for await (const page of paginate(list, { signal: controller.signal })) {
        pages.push(page);
        controller.abort(reason);
      }
    })(),
    (e) => e === reason,
  );
  assert.equal(pages.length, 1);
  assert.equal(list.requests.length, 1);
});

Deno.test("paginate() rejects when a page request fails, with that error", async () => {
  const failure = new Error("page 2 failed");
  let calls = 0;
  const list: ListFn<Rec> = Object.assign(
    () =>
      ++calls === 2 ? Promise.reject(failure) : Promise.resolve({
        data: Array.from(
          { length: 2 },
          (_, n) => ({ id: `r${calls}-${n}`, n }),
        ),
      }),
    { maxLimit: 2 },
  );
  const pages: Rec[][] = [];
  await assert.rejects(
    (async () => {
      for await (const page of paginate(list)) pages.push(page);
    })(),
    (e) => e === failure,
  );
  assert.equal(pages.length, 1);
});

Deno.test("paginate() requests pages lazily and stops when the consumer breaks", async () => {
  const list = fakeList(100, 5);
  const gen = paginate(list);
  assert.equal(list.requests.length, 0);
  for await (const _ of gen) break;
  assert.equal(list.requests.length, 1);
  assert.deepEqual(await gen.next(), { done: true, value: undefined });
});

Deno.test("paginate() validates limit, maxItems and onPage before any request", () => {
  const list = fakeList(10, 100);
  assert.throws(() => paginate(list, { limit: 101 }), {
    name: "RangeError",
    message:
      "Cannot paginate as 'limit' must be an integer from 1 to 100: current value is 101",
  });
  assert.throws(() => paginate(list, { limit: 0 }), RangeError);
  assert.throws(() => paginate(list, { limit: 2.5 }), RangeError);
  assert.throws(() => paginate(list, { limit: "5" as never }), TypeError);
  assert.throws(() => paginate(list, { maxItems: -1 }), {
    name: "RangeError",
    message:
      "Cannot paginate as 'maxItems' must be a non-negative integer or Infinity: current value is -1",
  });
  assert.throws(() => paginate(list, { maxItems: NaN }), RangeError);
  assert.throws(
    () => paginate(list, { onPage: 1 as never }),
    /'onPage' must be a function/,
  );
  assert.throws(
    () => paginate((() => {}) as never),
    { name: "TypeError", message: /'list.maxLimit' must be an integer >= 1/ },
  );
  // A number out of range is a wrong value, not a wrong shape (STYLE.md).
  assert.throws(
    () => paginate(Object.assign(() => {}, { maxLimit: 0 }) as never),
    {
      name: "RangeError",
      message: /'list.maxLimit' must be an integer >= 1: current value is 0/,
    },
  );
  assert.equal(list.requests.length, 0);
});

Deno.test("paginate() rejects a page without a data array or a record without an id", async () => {
  const noData: ListFn<Rec> = Object.assign(
    () => Promise.resolve({} as never),
    {
      maxLimit: 5,
    },
  );
  await assert.rejects(collect(paginate(noData)), /page 1 has no 'data' array/);
  const noId: ListFn<Rec> = Object.assign(
    () => Promise.resolve({ data: [{ n: 1 }] as never }),
    { maxLimit: 1 },
  );
  await assert.rejects(
    collect(paginate(noId)),
    /last record of page 1 has no string 'id'/,
  );
});

Deno.test("paginate() holds one page at a time", async () => {
  // A list of 10 000 records served lazily: every page is a fresh array, and
  // the generator never asks for more than one page ahead of the consumer.
  let made = 0;
  const list: ListFn<Rec> = Object.assign(
    ({ limit = 10, startingAfter }: ListParams = {}) => {
      const from = startingAfter === undefined
        ? 0
        : Number(startingAfter.slice(1)) + 1;
      const data = Array.from({
        length: Math.max(0, Math.min(limit, 10_000 - from)),
      }, (_, i) => {
        made++;
        return { id: `r${from + i}`, n: from + i };
      });
      return Promise.resolve({ data });
    },
    { maxLimit: 100 },
  );
  let seen = 0;
  for await (const page of paginate(list)) {
    seen += page.length;
    assert.equal(made, seen); // nothing fetched ahead
  }
  assert.equal(seen, 10_000);
});

Deno.test("paginate() refuses a list that does not move past startingAfter", async () => {
  const page = [{ id: "u0" }, { id: "u1" }];
  let calls = 0;
  const stuck = Object.assign(
    (_params?: ListParams) => Promise.resolve({ data: (calls++, page) }),
    { maxLimit: 2 },
  );
  const seen: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const items of paginate(stuck)) {
        seen.push(...items.map((u) => u.id));
      }
    })(),
    { name: "TypeError", message: /did not move past 'startingAfter'/ },
  );
  assert.deepEqual(seen, ["u0", "u1"]);
  assert.equal(calls, 2);
});
