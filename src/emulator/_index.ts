/**
 * @internal A set of IDs kept sorted by `(at, seq)`, for newest-first pages
 * that stay fast with 100,000 records: insertion and removal are a binary
 * search plus one splice (an append when time only moves forward), and a
 * `startingAfter` cursor is found by binary search.
 */
export interface SortedIndex {
  /** Adds `id`, created at `at`; `seq` breaks ties (higher = inserted later). */
  insert(id: string, at: number, seq: number): void;
  /** Removes `id`; false when it was not there. */
  remove(id: string): boolean;
  /**
   * Up to `limit` IDs, newest first, that pass `filter`, after the record
   * `startingAfter`; `undefined` when `startingAfter` is not in the index.
   */
  page(
    limit: number,
    startingAfter?: string,
    filter?: (id: string) => boolean,
  ): string[] | undefined;
  /** Every ID, oldest first. */
  ascending(): string[];
  /** The newest ID, if any. */
  newest(): string | undefined;
  /** The newest entry's `seq` (its place in insertion order), if any. */
  newestSeq(): number | undefined;
  /** Removes everything. */
  clear(): void;
}

interface Entry {
  id: string;
  at: number;
  seq: number;
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** @internal Creates an empty {@linkcode SortedIndex}. */
export function createSortedIndex(): SortedIndex {
  const entries: Entry[] = [];
  const byId = new Map<string, Entry>();

  // First position whose entry is not before `e`.
  function lowerBound(e: Entry): number {
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(entries[mid]!, e)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  return {
    insert(id, at, seq) {
      if (byId.has(id)) throw new Error(`Index already holds ${id}`);
      const e: Entry = { id, at, seq };
      byId.set(id, e);
      const last = entries[entries.length - 1];
      if (!last || before(last, e)) entries.push(e);
      else entries.splice(lowerBound(e), 0, e);
    },
    remove(id) {
      const e = byId.get(id);
      if (!e) return false;
      byId.delete(id);
      entries.splice(lowerBound(e), 1);
      return true;
    },
    page(limit, startingAfter, filter) {
      let i = entries.length - 1;
      if (startingAfter !== undefined) {
        const e = byId.get(startingAfter);
        if (!e) return undefined;
        i = lowerBound(e) - 1;
      }
      const out: string[] = [];
      for (; i >= 0 && out.length < limit; i--) {
        const id = entries[i]!.id;
        if (!filter || filter(id)) out.push(id);
      }
      return out;
    },
    ascending: () => entries.map((e) => e.id),
    newest: () => entries[entries.length - 1]?.id,
    newestSeq: () => entries[entries.length - 1]?.seq,
    clear() {
      entries.length = 0;
      byId.clear();
    },
  };
}
