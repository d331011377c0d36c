/** The console methods a test can capture. */
export type ConsoleMethod = "log" | "error" | "warn" | "info" | "debug";

const EVERY_METHOD: readonly ConsoleMethod[] = [
  "log",
  "error",
  "warn",
  "info",
  "debug",
];

/**
 * Runs `fn` with `methods` of the console silenced (all of them by default)
 * and hands it the arguments of every call they got, in order, as they come.
 * The console is put back when `fn` settles, even when it throws.
 *
 * Use it where output is what a test checks (a middleware logs its
 * misconfiguration once) or where it is noise the test causes on purpose (an
 * example's handler logging each event).
 */
export async function captureConsole<T>(
  fn: (logged: unknown[][]) => T | Promise<T>,
  methods: readonly ConsoleMethod[] = EVERY_METHOD,
): Promise<T> {
  const saved = methods.map((method) => console[method]);
  const logged: unknown[][] = [];
  for (const method of methods) {
    console[method] = (...args: unknown[]) => void logged.push(args);
  }
  try {
    return await fn(logged);
  } finally {
    methods.forEach((method, i) => console[method] = saved[i]!);
  }
}
