/**
 * The benchmark harness (`npm run bench`). Benchmarks are not tests: they print tables of ops/s
 * with each row's ratio to the others, measured side by side in one run, and never gate CI.
 * Each suite lives in `bench/suites/<name>.ts` and exports `suite: BenchSuite`.
 */

/** One measured row. `opsPerSec` is what the table shows; `unit` overrides the label. */
export interface Row {
  name: string
  /** The figure the table shows (the median of the rounds, where there are rounds). */
  opsPerSec: number
  /** The lowest and highest round, when the row was measured in rounds (support/rounds.ts). */
  min?: number
  max?: number
  /**
   * The figure of each round in round order (support/rounds.ts), so two rows measured in the same
   * rounds can be compared round by round (support/paired.ts): a target note is judged on that.
   */
  rounds?: number[]
  note?: string
}

/** One table: rows measured side by side; ratios are against `baseline` (a row name). */
export interface Table {
  title: string
  rows: Row[]
  /** Ratios in the table are `row / baseline`. Default: the first row. */
  baseline?: string
  /** Unit shown in the header. Default 'ops/s'. */
  unit?: string
  /** Lines printed under the table (targets met or missed, settings used). */
  notes?: string[]
}

/** A benchmark suite. `run` may start servers; it must stop them before returning. */
export interface BenchSuite {
  name: string
  title: string
  /** How to reproduce (the command), shown in docs/benchmarks.md. */
  command?: string
  run(): Promise<Table[]>
}

/**
 * Run `fn` repeatedly and return operations per second. `fn` may be async; it is awaited only
 * when it returns a promise. Warms up first, then measures for `ms` milliseconds (default 1000)
 * in rounds of `batch` calls (default 1000) and reports the best of `rounds` (default 3).
 */
export async function measure(
  fn: (i: number) => unknown,
  opts: { ms?: number; batch?: number; rounds?: number; warmupMs?: number } = {},
): Promise<number> {
  const ms = opts.ms ?? 1000
  const batch = opts.batch ?? 1000
  const rounds = opts.rounds ?? 3
  let i = 0
  const runFor = async (budget: number): Promise<number> => {
    const t0 = performance.now()
    let n = 0
    while (performance.now() - t0 < budget) {
      for (let j = 0; j < batch; j++) {
        const r = fn(i++)
        if (r !== undefined && typeof (r as Promise<unknown>).then === 'function') await r
      }
      n += batch
    }
    return (n * 1000) / (performance.now() - t0)
  }
  await runFor(opts.warmupMs ?? Math.min(300, ms))
  let best = 0
  for (let r = 0; r < rounds; r++) {
    ;(globalThis as { gc?: () => void }).gc?.()
    best = Math.max(best, await runFor(ms / rounds))
  }
  return best
}

/** Format a number with thousands separators and 3 significant digits. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n)
  if (n >= 100) return Math.round(n).toLocaleString('en-US')
  return n.toPrecision(3)
}

/** Render a table as Markdown: name, value, and the ratio to the baseline row. */
export function renderTable(t: Table): string {
  const base = t.rows.find((r) => r.name === t.baseline) ?? t.rows[0]
  const unit = t.unit ?? 'ops/s'
  const ranged = t.rows.some((r) => r.min !== undefined)
  const lines = ranged
    ? [
        `#### ${t.title}`,
        '',
        `| | ${unit} (median) | min–max | × ${base?.name ?? ''} | note |`,
        '|---|---:|---:|---:|---|',
      ]
    : [`#### ${t.title}`, '', `| | ${unit} | × ${base?.name ?? ''} | note |`, '|---|---:|---:|---|']
  for (const r of t.rows) {
    const ratio = base && base.opsPerSec > 0 ? (r.opsPerSec / base.opsPerSec).toFixed(2) : '–'
    const range = r.min !== undefined && r.max !== undefined ? `${fmt(r.min)}–${fmt(r.max)}` : ''
    lines.push(
      ranged
        ? `| ${r.name} | ${fmt(r.opsPerSec)} | ${range} | ${ratio} | ${r.note ?? ''} |`
        : `| ${r.name} | ${fmt(r.opsPerSec)} | ${ratio} | ${r.note ?? ''} |`,
    )
  }
  if (t.notes?.length) lines.push('', ...t.notes.map((n) => `- ${n}`))
  return lines.join('\n')
}

/** The ratio `a / b` of two rows of a table, by name (for notes on targets). */
export function ratio(t: Table, a: string, b: string): number {
  const x = t.rows.find((r) => r.name === a)?.opsPerSec ?? Number.NaN
  const y = t.rows.find((r) => r.name === b)?.opsPerSec ?? Number.NaN
  return x / y
}

/** Whether a ratio reached its target, in the words a bench note prints. */
export const met = (x: number, target: number): string => (x >= target ? 'met' : 'missed')
