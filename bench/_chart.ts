// A hand-written SVG chart of the pacing runs: no dependencies.
/** One request as the server saw it: when it arrived and its status. */
export interface Sent {
  /** Milliseconds since the run started. */
  t: number;
  /** The emulator's clock (Date.now) when its rate limit admitted or refused it. */
  serverNow: number;
  status: number;
}

/** Why the server refused some requests, from an exact replay of its bucket. */
export interface RefusalCauses {
  /** Refused though exact arithmetic says a whole token was there: float rounding. */
  atBoundary: number;
  /** Refused with less than a token in the exact bucket: sent too early. */
  early: number;
  /** How early the earliest of those was, in ms. */
  earlyByMs: number;
}

/** The run of one limiter. */
export interface PacingRun {
  name: string;
  /** How it was configured, for the footnotes. */
  config: string;
  /** Arrival of the last request at the server, ms after the start. */
  elapsedMs: number;
  rateLimited: number;
  /** In arrival order. */
  sent: Sent[];
  causes: RefusalCauses;
  /** When the first request reached the server, ms after the start. */
  firstMs: number;
}

/** The shape of the benchmark. */
export interface PacingOptions {
  n: number;
  burst: number;
  perSecond: number;
}

const COLORS = ["#1f5fbf", "#2e9e44", "#e07b00", "#8a4fbf", "#777777"];
const W = 880;
const PH = 400; // plot height
const M = { left: 64, right: 24, top: 48, bottom: 56 };
const ROW = 18; // legend line height

function esc(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(
    ">",
    "&gt;",
  );
}

function num(n: number): string {
  return Number(n.toFixed(1)).toString();
}

/**
 * Cumulative requests sent over time, one step line per limiter, beside the
 * server's limit (burst + perSecond·t, which is also the ideal envelope);
 * refused requests are marked with a red cross.
 *
 * @param runs The pacing runs, ours first.
 * @param options N, burst and rate.
 * @returns The SVG document.
 */
export function pacingChart(
  runs: readonly PacingRun[],
  { n, burst, perSecond }: PacingOptions,
): string {
  const idealMs = (n - burst) / perSecond * 1000;
  const lastMs = Math.max(idealMs, ...runs.map((r) => r.elapsedMs));
  const xMaxMs = Math.ceil((lastMs + 250) / 500) * 500;
  const pw = W - M.left - M.right;
  const ph = PH;
  const legendRows = Math.ceil((runs.length + 2) / 2);
  const H = M.top + ph + M.bottom + legendRows * ROW + 12;
  const x = (ms: number) => M.left + ms / xMaxMs * pw;
  const y = (count: number) => M.top + ph - count / n * ph;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${M.left}" y="24" font-size="15" font-weight="600">${
      esc(
        `Pacing: ${n} requests against a server limit of ${burst} at once + ${perSecond}/s`,
      )
    }</text>`,
  );
  // The region the server refuses: above burst + perSecond·t.
  out.push(
    `<polygon points="${num(x(0))},${num(y(burst))} ${num(x(idealMs))},${
      num(y(n))
    } ${num(x(0))},${num(y(n))}" fill="#d62728" fill-opacity="0.08"/>`,
    `<text x="${num(x(idealMs * 0.12))}" y="${
      num(y(n * 0.9))
    }" fill="#a01c1c">refused by the server (429)</text>`,
  );
  // Grid and axes.
  for (let ms = 0; ms <= xMaxMs; ms += 500) {
    out.push(
      `<line x1="${num(x(ms))}" y1="${M.top}" x2="${num(x(ms))}" y2="${
        M.top + ph
      }" stroke="#e5e5e5"/>`,
      `<text x="${num(x(ms))}" y="${M.top + ph + 18}" text-anchor="middle">${
        (ms / 1000).toFixed(1)
      }</text>`,
    );
  }
  const yStep = n <= 100 ? 10 : n <= 400 ? 25 : 100;
  for (let c = 0; c <= n; c += yStep) {
    out.push(
      `<line x1="${M.left}" y1="${num(y(c))}" x2="${M.left + pw}" y2="${
        num(y(c))
      }" stroke="#e5e5e5"/>`,
      `<text x="${M.left - 8}" y="${
        num(y(c) + 4)
      }" text-anchor="end">${c}</text>`,
    );
  }
  out.push(
    `<line x1="${M.left}" y1="${M.top + ph}" x2="${M.left + pw}" y2="${
      M.top + ph
    }" stroke="#333"/>`,
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${
      M.top + ph
    }" stroke="#333"/>`,
    `<text x="${M.left + pw / 2}" y="${
      M.top + ph + 40
    }" text-anchor="middle">time since the requests were handed to the limiter (s)</text>`,
    `<text transform="translate(18 ${
      M.top + ph / 2
    }) rotate(-90)" text-anchor="middle">requests sent (cumulative)</text>`,
  );
  // One step line per limiter, refused requests marked.
  runs.forEach((run, i) => {
    const color = COLORS[i % COLORS.length]!;
    const points: string[] = [`${num(x(0))},${num(y(0))}`];
    run.sent.forEach((s, k) => {
      points.push(
        `${num(x(s.t))},${num(y(k))}`,
        `${num(x(s.t))},${num(y(k + 1))}`,
      );
    });
    out.push(
      `<polyline points="${
        points.join(" ")
      }" fill="none" stroke="${color}" stroke-width="${
        i === 0 ? 2.2 : 1.5
      }" stroke-linejoin="round"/>`,
    );
    run.sent.forEach((s, k) => {
      if (s.status !== 429) return;
      const cx = x(s.t);
      const cy = y(k + 1);
      out.push(
        `<path d="M${num(cx - 3)} ${num(cy - 3)}L${num(cx + 3)} ${
          num(cy + 3)
        }M${num(cx - 3)} ${num(cy + 3)}L${num(cx + 3)} ${
          num(cy - 3)
        }" stroke="#d62728" stroke-width="1.3"/>`,
      );
    });
  });
  // On top: the server's limit, which is also the ideal envelope, and the ideal finish.
  out.push(
    `<polyline points="${num(x(0))},${num(y(0))} ${num(x(0))},${
      num(y(burst))
    } ${num(x(idealMs))},${num(y(n))} ${num(x(xMaxMs))},${
      num(y(n))
    }" fill="none" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"/>`,
    `<line x1="${num(x(idealMs))}" y1="${M.top}" x2="${num(x(idealMs))}" y2="${
      M.top + ph
    }" stroke="#555" stroke-dasharray="2 3"/>`,
    `<text x="${num(x(idealMs) - 4)}" y="${
      M.top + ph - 8
    }" text-anchor="end" fill="#555">ideal finish ${
      (idealMs / 1000).toFixed(2)
    } s</text>`,
  );
  // Legend.
  const legend: { color: string; dash?: string; label: string }[] = [
    ...runs.map((r, i) => ({
      color: COLORS[i % COLORS.length]!,
      label: `${r.name}: last at ${
        (r.elapsedMs / 1000).toFixed(3)
      } s, ${r.rateLimited}×429`,
    })),
    {
      color: "#d62728",
      dash: "6 4",
      label: `server limit = ideal envelope: ${burst} + ${perSecond}·t`,
    },
  ];
  legend.push({
    color: "#d62728",
    label: "a request the server refused (429)",
  });
  const top = M.top + ph + M.bottom + 6;
  legend.forEach((item, i) => {
    const lx = M.left + (i % 2) * (pw / 2);
    const yy = top + Math.floor(i / 2) * ROW;
    out.push(
      i === legend.length - 1
        ? `<path d="M${num(lx + 10)} ${num(yy - 7)}L${num(lx + 16)} ${
          num(yy - 1)
        }M${num(lx + 10)} ${num(yy - 1)}L${num(lx + 16)} ${
          num(yy - 7)
        }" stroke="#d62728" stroke-width="1.3"/>`
        : `<line x1="${num(lx)}" y1="${num(yy - 4)}" x2="${num(lx + 26)}" y2="${
          num(yy - 4)
        }" stroke="${item.color}" stroke-width="2"${
          item.dash ? ` stroke-dasharray="${item.dash}"` : ""
        }/>`,
      `<text x="${num(lx + 34)}" y="${num(yy)}">${esc(item.label)}</text>`,
    );
  });
  out.push(
    `</svg>`,
  );
  return out.join("\n") + "\n";
}
