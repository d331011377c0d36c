// The public data types keep their shape: `User` and `UserInput` share their
// profile fields through `UserProfile`, and each must still be exactly the type
// it was written out as before, so that what assigned to it still does.
// A mismatch is a type error, which fails `deno test` before any test runs.
import assert from "node:assert/strict";
import type { User, UserInput, UserProfile } from "../mod.ts";

/** `true` when A and B are the same type (not merely assignable one way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends
  (<T>() => T extends B ? 1 : 2) ? true : false;

type Tokens = Record<string, true | null> | null;

type UserAsWritten = {
  id: string;
  name: string;
  email?: string[] | null;
  phone?: string[] | null;
  photoUrl?: string | null;
  welcomeMessage?: string | null;
  role?: string | null;
  locale?: string | null;
  custom?: Record<string, string>;
  availabilityText?: string | null;
  headerPhotoUrl?: string | null;
  pushTokens?: Tokens;
  createdAt: number;
};

type UserInputAsWritten = {
  name?: string;
  email?: string[] | null;
  phone?: string[] | null;
  photoUrl?: string | null;
  welcomeMessage?: string | null;
  role?: string | null;
  locale?: string | null;
  custom?: Record<string, string | null> | null;
  availabilityText?: string | null;
  pushTokens?: Tokens;
  configuration?: string | null;
  id?: string;
};

Deno.test("User and UserInput keep their shape, sharing UserProfile's fields", () => {
  const user: Equal<User, UserAsWritten> = true;
  const input: Equal<UserInput, UserInputAsWritten> = true;
  const profile: Equal<
    keyof UserProfile,
    Exclude<keyof User & keyof UserInput, "id" | "name" | "custom">
  > = true;
  assert.deepEqual([user, input, profile], [true, true, true]);

  // What a GET answers can be PUT back, as before.
  const got: User = { id: "u1", name: "A", createdAt: 0, role: null };
  const { id: _id, createdAt: _createdAt, headerPhotoUrl: _h, ...rest } = got;
  const back: UserInput = rest;
  assert.equal(back.name, "A");
});
