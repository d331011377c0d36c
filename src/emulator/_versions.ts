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

/** @internal A version string: a date like `2021-02-09`. */
export function isApiVersion(value: unknown): value is string {
  return typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value);
}

/** @internal Whether `version` has the behaviour introduced in `since`. */
export function since(version: string, change: string): boolean {
  // Dates in one format compare as strings.
  return version >= change;
}
