/**
 * TalkJS's REST API versions, as its changelog lists them
 * (https://talkjs.com/docs/Reference/REST_API/API_changelog/), and the
 * behaviour that changed with each.
 *
 * @module
 */

/** @internal The newest version TalkJS's changelog documents. */
export const LATEST_API_VERSION = "2024-01-01";

/**
 * @internal The versions that changed behaviour the emulator follows:
 * `ORDER` conversation lists by last activity, with `orderBy`,
 * `orderDirection` and `offsetTs`; `LEAVE` removes a conversation a user left
 * from their list; `UNKNOWN_USER_404` answers 404 for an unknown user's
 * conversations.
 */
export const VERSION = {
  ORDER: "2021-02-09",
  LEAVE: "2021-07-30",
  UNKNOWN_USER_404: "2024-01-01",
} as const;

/**
 * @internal A version string: a date like `2021-02-09`, one that exists
 * (`2099-99-99` or `2023-02-30` is malformed).
 */
export function isApiVersion(value: unknown): value is string {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return false;
  }
  // A day that does not exist rolls over into another (or is NaN).
  const day = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) &&
    day.toISOString().slice(0, 10) === value;
}

/** @internal Whether `version` has the behaviour introduced in `since`. */
export function since(version: string, change: string): boolean {
  // Dates in one format compare as strings.
  return version >= change;
}
