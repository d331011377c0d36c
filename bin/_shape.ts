/**
 * Shapes of JSON answers, for the parity check: field names and value types,
 * never values. `{ data: [{ id: "a", n: 1 }] }` has the shape
 * `{ "data": ["array"], "data[]": ["object"], "data[].id": ["string"],
 * "data[].n": ["number"] }`.
 *
 * @module
 */

/** A JSON value's shape: each field path and the types seen there. */
export type Shape = Record<string, string[]>;

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * The shape of `value`. The keys of objects listed in `mapFields` (such as
 * `participants` or `custom`, whose keys are data) are folded into `{}`.
 */
export function shapeOf(
  value: unknown,
  mapFields: ReadonlySet<string> = new Set(),
): Shape {
  const shape: Record<string, Set<string>> = {};
  const visit = (v: unknown, path: string, field: string): void => {
    (shape[path || "."] ??= new Set()).add(typeOf(v));
    if (Array.isArray(v)) {
      for (const item of v) visit(item, `${path}[]`, field);
    } else if (v !== null && typeof v === "object") {
      for (const [key, item] of Object.entries(v)) {
        const name = mapFields.has(field) ? "{}" : key;
        visit(item, path ? `${path}.${name}` : name, key);
      }
    }
  };
  visit(value, "", "");
  return Object.fromEntries(
    Object.entries(shape).map(([k, types]) => [k, [...types].sort()]),
  );
}

/** One field whose types differ between two shapes. */
export interface ShapeDifference {
  /** The field's path, `data[].lastMessage.id`. */
  path: string;
  /** Types on side a, empty when the field is missing there. */
  a: string[];
  /** Types on side b, empty when the field is missing there. */
  b: string[];
}

/** Every field whose set of types differs between `a` and `b`, by path. */
export function compareShapes(a: Shape, b: Shape): ShapeDifference[] {
  const paths = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const out: ShapeDifference[] = [];
  for (const path of paths) {
    const x = a[path] ?? [];
    const y = b[path] ?? [];
    if (x.join("|") !== y.join("|")) out.push({ path, a: x, b: y });
  }
  return out;
}
