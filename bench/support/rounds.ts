/**
 * Side-by-side measurement with one process per contender (the method at the top of
 * docs/benchmarks.md): every contender is started in its own child process (its own JIT profile,
 * its own heap), fills its own store, then the parent runs `rounds` rounds; in round r the
 * contenders run one after the other in an order rotated by r, each timing its operation for
 * `roundMs`. Rows report the median of the rounds with the min–max range. While one contender
 * runs the others wait on a pipe, so they take no CPU.
 *
 * Children speak JSON lines: the parent writes `{"cmd":"round","ms":N}` / `{"cmd":"exit"}` on
 * stdin, the child answers `{"ready":true,…}` once filled and `{"ops":N}` per round on stdout.
 * Node children run `bench/support/worker.ts`; Python children run a script built by
 * `pythonContender` (Django's backends).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { type Row, type Table, renderTable } from '../harness.ts'
import { LineChild } from './child.ts'
import { NODE_TS_ARGS } from './node-argv.ts'

/** How to start one contender: a command line that speaks the JSON-lines protocol above. */
export interface ContenderSpec {
  name: string
  note?: string
  command: string
  args: string[]
  env?: Record<string, string>
}

/** What a child reports once its store is filled (Node children add heap figures). */
export interface Ready {
  ready: true
  /** Bytes of JS heap the filled store holds (after GC), when the child can tell. */
  heapBytes?: number
  /** Resident set size after filling, bytes. */
  rss?: number
}

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url))

/**
 * A Node contender: `exportName` of the module `file` (a path), called with `params` in a child
 * `node --expose-gc --import tsx` process (cachework from its built dist: see node-argv.ts). The export is a
 * `ContenderFactory` (see worker.ts).
 */
export function nodeContender(
  name: string,
  file: string,
  exportName: string,
  params: Record<string, unknown>,
  note?: string,
): ContenderSpec {
  return {
    name,
    note,
    command: process.execPath,
    args: ['--expose-gc', ...NODE_TS_ARGS, WORKER, file, exportName, JSON.stringify(params)],
  }
}

/**
 * A Python contender: `setup` is Python code that defines `op(i)` (and may read `params`, a
 * dict); the generated script adds the round loop. Runs Debian's /usr/bin/python3.
 */
export function pythonContender(
  name: string,
  setup: string,
  params: Record<string, unknown>,
  opts: { batch?: number; note?: string } = {},
): ContenderSpec {
  const batch = opts.batch ?? 100
  const script = `
import gc, json, sys, time
params = json.loads(sys.argv[1])
${setup}
def window(ms, start):
    n, t0 = 0, time.perf_counter()
    while (time.perf_counter() - t0) * 1000 < ms:
        for j in range(${batch}):
            op(start + n + j)
        n += ${batch}
    return n / (time.perf_counter() - t0), start + n
done = 0
window(300, 0)
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    cmd = json.loads(line)
    if cmd["cmd"] == "round":
        gc.collect()
        ops, done = window(cmd["ms"], done)
        print(json.dumps({"ops": ops}), flush=True)
    else:
        break
`
  return { name, note: opts.note, command: '/usr/bin/python3', args: ['-c', script, JSON.stringify(params)] }
}

/** One contender's process: a JSON-lines child that also keeps its spec. */
class Child extends LineChild {
  constructor(
    readonly spec: ContenderSpec,
    proc: ChildProcess,
  ) {
    super(spec.name, proc)
  }
}

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

/** A row of the median of `xs` with its min–max (how every rounds table reports a contender). */
export function roundsRow(name: string, xs: number[], note?: string): Row {
  return { name, opsPerSec: median(xs), min: Math.min(...xs), max: Math.max(...xs), rounds: [...xs], note }
}

/**
 * The rounds loop of the method for contenders that are not worker.ts children (browser pages,
 * servers under a load generator): `rounds` rounds, in round r the contenders run one after the
 * other in an order rotated by r, each `run()` returning its figure for the round. Returns the
 * samples by contender name, in the order given. `BENCH_ROUNDS` overrides `rounds`.
 */
export async function interleavedRounds(
  contenders: Array<{ name: string; run: () => Promise<number> | number }>,
  rounds: number,
): Promise<Map<string, number[]>> {
  const n = Number(process.env.BENCH_ROUNDS) || rounds
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]))
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < contenders.length; i++) {
      const c = contenders[(i + r) % contenders.length] as (typeof contenders)[number]
      samples.get(c.name)?.push(await c.run())
    }
  }
  return samples
}

/** Options of `compare`. */
export interface CompareOptions {
  title: string
  contenders: ContenderSpec[]
  /** Rounds per contender (default 7). */
  rounds?: number
  /** Length of one contender's timed window per round, ms (default 500). */
  roundMs?: number
  /** The ratio column's baseline row (default: the first contender). */
  baseline?: string
  unit?: string
  notes?: string[]
  /** How long a child may take to fill its store, ms (default 600 s: 1,000,000 keys on a busy machine). */
  setupTimeoutMs?: number
}

/** The table, plus what each contender reported when ready (heap figures for memory tables). */
export interface Compared {
  table: Table
  ready: Map<string, Ready>
}

/**
 * Start every contender in its own process, run interleaved rounds with the order rotated, and
 * return the table of medians (with min–max). A contender that fails to start or dies is left
 * out of the table with a note saying so, so one broken peer does not lose the whole run.
 */
export async function compare(opts: CompareOptions): Promise<Compared> {
  // BENCH_ROUNDS / BENCH_ROUND_MS shorten a check run on a busy machine (never a recorded one).
  const rounds = Number(process.env.BENCH_ROUNDS) || (opts.rounds ?? 7)
  const roundMs = Number(process.env.BENCH_ROUND_MS) || (opts.roundMs ?? 500)
  const notes = [...(opts.notes ?? [])]
  const ready = new Map<string, Ready>()
  const children: Child[] = []
  try {
    // Start (and fill) the contenders one at a time: filling is measured by nobody, but two
    // fills at once would compete for the two cores and for memory bandwidth.
    for (const spec of opts.contenders) {
      const proc = spawn(spec.command, spec.args, {
        stdio: ['pipe', 'pipe', 'inherit'],
        env: { ...process.env, ...spec.env },
      })
      const child = new Child(spec, proc)
      try {
        const msg = await child.next(opts.setupTimeoutMs ?? 600_000)
        if (msg.ready !== true) throw new Error(`${spec.name}: unexpected ${JSON.stringify(msg)}`)
        ready.set(spec.name, msg as unknown as Ready)
        children.push(child)
      } catch (e) {
        notes.push(`${spec.name} left out: ${(e as Error).message}`)
        await child.stop()
      }
    }
    const samples = new Map<string, number[]>(children.map((c) => [c.spec.name, []]))
    const alive = new Set(children)
    for (let r = 0; r < rounds; r++) {
      const order = children.map((_, i) => children[(i + r) % children.length] as Child)
      for (const child of order) {
        if (!alive.has(child)) continue
        child.send({ cmd: 'round', ms: roundMs })
        try {
          const msg = await child.next(roundMs * 20 + 120_000)
          samples.get(child.spec.name)?.push(Number(msg.ops))
        } catch (e) {
          alive.delete(child)
          notes.push(`${child.spec.name} stopped in round ${r + 1}: ${(e as Error).message}`)
        }
      }
    }
    const rows: Row[] = []
    for (const c of children) {
      const xs = samples.get(c.spec.name) ?? []
      if (xs.length === 0) continue
      rows.push(roundsRow(c.spec.name, xs, c.spec.note))
    }
    notes.push(
      `${rounds} interleaved rounds of ${roundMs} ms per contender, order rotated each round, one process per contender; median (min–max).`,
    )
    const table: Table = { title: opts.title, rows, notes, unit: opts.unit }
    if (opts.baseline) table.baseline = opts.baseline
    // Progress for long suites: each table on stderr as soon as it is measured.
    process.stderr.write(`${renderTable(table)}\n\n`)
    return { table, ready }
  } finally {
    await Promise.all(children.map((c) => c.stop()))
  }
}

/** "load 1.23 / 0.98 / 0.77" — the 1/5/15-minute load average now. */
export function loadNow(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ')
}
