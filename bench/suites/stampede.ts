/**
 * `npm run bench -- stampede`: 200 concurrent callers of one cold key spread over 4 processes,
 * a 200 ms factory, on one shared store (a redis-server and a memcached started here). Contenders:
 * cachework's `getOrSet(…, { lock: 'distributed' })` (docs/contract.md rule 16) on redis and on
 * memcached, bentocache's `getOrSet`, cache-manager's `wrap` and the plain get-then-set. Each
 * contender runs in 4 processes of its own (bench/support/stampede-child.ts, contenders in
 * bench/contenders/stampede.ts); every round gives each contender a fresh cold key, contenders
 * one after the other in an order rotated per round (as bench/support/rounds.ts does). The
 * tables show how many times the factory ran per key (counted in the processes, not assumed) and
 * the callers' p50 / p99 wait, as the median of the rounds with min–max; and, for cachework, the
 * p99 wait of 200 callers on a fresh key against 200 callers on a stale key during its
 * stale-while-revalidate refresh.
 *
 * `STAMPEDE_BENCH_QUICK=1` runs one tiny round (40 callers, a 50 ms factory) to check that the
 * suite works; its figures are not measurements.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { MemcachedProcess } from '../../packages/node/test/support/memcached-server.ts'
import { RedisProcess } from '../../packages/node/test/support/redis-server.ts'
import type { StampedeMode, StampedeParams } from '../contenders/stampede.ts'
import type { BenchSuite, Table } from '../harness.ts'
import { LineChild } from '../support/child.ts'
import { loadNote } from '../support/notes.ts'
import { NODE_TS_ARGS } from '../support/node-argv.ts'
import { loadNow, median, roundsRow } from '../support/rounds.ts'

const FILE = fileURLToPath(new URL('../contenders/stampede.ts', import.meta.url))
const CHILD = fileURLToPath(new URL('../support/stampede-child.ts', import.meta.url))
const QUICK = process.env.STAMPEDE_BENCH_QUICK === '1'
const PROCESSES = 4
const CALLERS = QUICK ? 40 : 200
const FACTORY_MS = QUICK ? 50 : 200
const ROUNDS = QUICK ? 1 : 7
/** How long after the last caller a process waits before counting its factory runs. */
const SETTLE_MS = FACTORY_MS + 300
/** Fresh lifetime of the stale-while-revalidate rounds' key (s); the round starts after it. */
const FRESH_S = 1

const CW = 'cachework getOrSet (redis, lock distributed)'
const CW_MC = 'cachework getOrSet (memcached, lock distributed)'
const BENTO = 'bentocache 1.6 getOrSet (redis L2)'
const CM = 'cache-manager 7 wrap (Keyv redis)'
const NAIVE = 'get, then set on a miss (node-redis)'

interface Reply {
  ready?: boolean
  ok?: boolean
  runs?: number
  waits?: number[]
}

/** One process of a contender, speaking stampede-child.ts's JSON lines. */
type Child = LineChild<Reply>

/** A contender's 4 processes. */
class Fleet {
  private constructor(
    readonly name: string,
    readonly children: Child[],
  ) {}

  static async start(name: string, exportName: string, params: StampedeParams): Promise<Fleet> {
    const children: Child[] = []
    try {
      // One at a time: four tsx start-ups at once would only compete for the two cores.
      for (let i = 0; i < PROCESSES; i++) {
        const proc = spawn(
          process.execPath,
          [...NODE_TS_ARGS, CHILD, FILE, exportName, JSON.stringify(params)],
          { stdio: ['pipe', 'pipe', 'inherit'] },
        )
        const child: Child = new LineChild<Reply>(`${name} #${i + 1}`, proc)
        children.push(child)
        const msg = await child.next(180_000)
        if (msg.ready !== true) throw new Error(`${name}: unexpected ${JSON.stringify(msg)}`)
      }
      return new Fleet(name, children)
    } catch (e) {
      await Promise.all(children.map((c) => c.stop()))
      throw e
    }
  }

  /** One round: `CALLERS` callers spread evenly over the processes, all starting at one instant. */
  async round(key: string, mode: StampedeMode): Promise<{ runs: number; waits: number[] }> {
    const at = Date.now() + 500
    const per = CALLERS / PROCESSES
    const replies = await Promise.all(
      this.children.map((c) =>
        c.ask({ cmd: 'go', key, mode, at, callers: per, factoryMs: FACTORY_MS, settleMs: SETTLE_MS }),
      ),
    )
    return {
      runs: replies.reduce((n, r) => n + Number(r.runs), 0),
      waits: replies.flatMap((r) => r.waits ?? []),
    }
  }

  /** Store `key` from the first process (a fresh key for `'hit'`, a soon-stale one for `'swr'`). */
  async warm(key: string, mode: StampedeMode): Promise<void> {
    await this.children[0]?.ask({ cmd: 'warm', key, mode, freshSeconds: FRESH_S, factoryMs: FACTORY_MS })
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((c) => c.stop()))
  }
}

/** The `q`-quantile of `xs` (nearest rank). */
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? Number.NaN
}

const row = roundsRow

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export const suite: BenchSuite = {
  name: 'stampede',
  title: 'stampede: one cold key, 200 callers over 4 processes',
  command: 'npm run bench -- stampede',
  async run(): Promise<Table[]> {
    const before = loadNow()
    const redis = await RedisProcess.start()
    const mc = await MemcachedProcess.start()
    const fleets: Fleet[] = []
    const notes: string[] = []
    try {
      const specs: Array<[string, string]> = [
        [CW, 'cachework'],
        [CW_MC, 'cacheworkMemcached'],
        [BENTO, 'bentocache'],
        [CM, 'cacheManager'],
        [NAIVE, 'naive'],
      ]
      for (const [name, exportName] of specs) {
        const params = { url: redis.url, memcached: mc.location, prefix: exportName }
        try {
          fleets.push(await Fleet.start(name, exportName, params))
        } catch (e) {
          notes.push(`${name} left out: ${(e as Error).message}`)
        }
      }
      const runs = new Map<string, number[]>(fleets.map((f) => [f.name, []]))
      const p50 = new Map<string, number[]>(fleets.map((f) => [f.name, []]))
      const p99 = new Map<string, number[]>(fleets.map((f) => [f.name, []]))
      const tag = Date.now().toString(36)
      // A contender that fails a round is left out from then on, with a note (as rounds.ts does).
      const alive = new Set(fleets)
      for (let r = 0; r < ROUNDS; r++) {
        const order = fleets.map((_, i) => fleets[(i + r) % fleets.length] as Fleet)
        for (const f of order) {
          if (!alive.has(f)) continue
          try {
            const got = await f.round(`cold-${tag}-${r}`, 'cold')
            runs.get(f.name)?.push(got.runs)
            p50.get(f.name)?.push(quantile(got.waits, 0.5))
            p99.get(f.name)?.push(quantile(got.waits, 0.99))
          } catch (e) {
            alive.delete(f)
            notes.push(`${f.name} stopped in round ${r + 1}: ${(e as Error).message}`)
          }
        }
      }
      const measured = fleets.filter((f) => (runs.get(f.name) ?? []).length > 0)
      const setting = `${CALLERS} concurrent callers (${CALLERS / PROCESSES} in each of ${PROCESSES} processes per contender), a ${FACTORY_MS} ms factory, one shared redis-server (memcached for its row)`
      const method = `${ROUNDS} rounds, each contender a fresh cold key per round, order rotated each round; median (min–max) of the rounds.`
      const load = `${loadNote()} Load before: ${before}.`
      const quick = QUICK
        ? ['STAMPEDE_BENCH_QUICK=1: one tiny round to check the suite works, not a measurement.']
        : []
      const cwP99 = median(p99.get(CW) ?? [])
      const tables: Table[] = [
        {
          title: `Factory runs per cold key: ${setting}`,
          unit: 'factory runs',
          rows: measured.map((f) => row(f.name, runs.get(f.name) ?? [])),
          notes: [
            ...quick,
            ...notes,
            'Runs are counted in the contenders’ processes. Target: cachework 1 (one lease across processes); per-process locks run it up to once per process.',
            method,
          ],
        },
        {
          title: `Caller wait p50 (ms), cold key: ${setting}`,
          unit: 'ms',
          rows: measured.map((f) => row(f.name, p50.get(f.name) ?? [])),
          notes: [...quick, 'From each caller’s call to its value, in its own process.', method],
        },
        {
          title: `Caller wait p99 (ms), cold key: ${setting}`,
          unit: 'ms',
          rows: measured.map((f) => row(f.name, p99.get(f.name) ?? [])),
          notes: [
            ...quick,
            `cachework (redis) p99 ${cwP99.toFixed(0)} ms (target ≤ factory + 50 = ${FACTORY_MS + 50} ms) — ${cwP99 <= FACTORY_MS + 50 ? 'met' : 'MISSED'}`,
            method,
            load,
          ],
        },
      ]
      // Stale-while-revalidate: 200 callers on a fresh key vs on a stale key while one refresh runs.
      for (const f of fleets.filter((x) => alive.has(x) && (x.name === CW || x.name === CW_MC))) {
        const hit: number[] = []
        const stale: number[] = []
        const refreshes: number[] = []
        const backend = f.name === CW ? 'redis' : 'memcached'
        try {
          for (let r = 0; r < ROUNDS; r++) {
            const hk = `hit-${tag}-${r}`
            await f.warm(hk, 'hit')
            hit.push(quantile((await f.round(hk, 'hit')).waits, 0.99))
            const sk = `swr-${tag}-${r}`
            await f.warm(sk, 'swr')
            await sleep(FRESH_S * 1000 + 200)
            const got = await f.round(sk, 'swr')
            stale.push(quantile(got.waits, 0.99))
            refreshes.push(got.runs)
          }
        } catch (e) {
          notes.push(`${f.name}: stale-while-revalidate rounds stopped: ${(e as Error).message}`)
          tables[0]?.notes?.push(notes[notes.length - 1] as string)
          continue
        }
        const ratio = median(stale) / median(hit)
        tables.push({
          title: `cachework on ${backend}, p99 caller wait (ms): fresh key vs stale key under staleWhileRevalidate while one refresh runs (${CALLERS} callers over ${PROCESSES} processes, ${FACTORY_MS} ms factory)`,
          unit: 'ms',
          rows: [row('fresh key (plain hit)', hit), row('stale key during its refresh', stale)],
          notes: [
            ...quick,
            `Refreshes per stale key: median ${median(refreshes)}, min ${Math.min(...refreshes)}, max ${Math.max(...refreshes)} (target 1).`,
            `p99 during a refresh ${ratio.toFixed(2)}× a plain hit (target ≤ 2×) — ${ratio <= 2 ? 'met' : 'MISSED'}`,
            method,
            load,
          ],
        })
      }
      return tables
    } finally {
      await Promise.all(fleets.map((f) => f.stop()))
      await mc.stop()
      await redis.stop()
    }
  },
}
