/**
 * `npm run bench -- http`: requests per second of cached pages over real sockets. Each server
 * runs in its own process (bench/support/http-server.ts, or gunicorn for Django) and autocannon
 * drives it from this one with 64 connections, so the load generator never shares the server's
 * event loop. Every server answers the same ~1 KiB page.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { type BenchSuite, met, type Row, type Table } from '../harness.ts'
import { freePort } from '../../packages/node/test/support/free-port.ts'
import { hasCallgrind } from '../support/callgrind.ts'
import { instructionTable } from './http-instructions.ts'
import { announcedPort, stopChild } from '../support/child.ts'
import { djangoApp } from '../support/http-django.ts'
import { formatPaired, groupedOrder, type PairedRatio, pairedRatio } from '../support/paired.ts'
import { roundsRow } from '../support/rounds.ts'
import { NODE_TS_ARGS } from '../support/node-argv.ts'

const CONNECTIONS = 64
/** Seconds measured per row, split over `ROUNDS` paired rounds (the median is reported). */
const SECONDS = Number(process.env.HTTP_BENCH_SECONDS ?? 12)
const ROUNDS = Number(process.env.HTTP_BENCH_ROUNDS ?? 10)
/** Seconds measured per contender per round (the lead-in below comes on top). */
const ROUND_SECONDS = SECONDS / ROUNDS
/**
 * Every round is one autocannon call on 64 new connections; the first ~0.5 s of it runs well
 * below the steady rate (connections opening, Node's http code re-optimising for new sockets:
 * in 100 ms bins, the first 3–4 ran at about half the rate of the rest). That lead-in is not
 * counted: requests and server CPU are counted from its end to the end of the call.
 */
const LEAD_IN_MS = 500
/** Load on each new server process before its round is measured (JIT, sockets, the first miss). */
const WARM_UP_SECONDS = 1
const serverScript = fileURLToPath(new URL('../support/http-server.ts', import.meta.url))

/**
 * On a machine with two or more cores, while a Node server is measured the load generator (this
 * process) runs on core 0 and the server on core 1, so the two never fight over one core and the
 * scheduler never moves them (on a 2-core machine that was the largest source of run-to-run
 * noise). gunicorn's two workers and the load generator are left unpinned, as before, so
 * Django's row is not understated.
 */
const PIN = availableParallelism() >= 2 && existsSync('/usr/bin/taskset')
const ALL_CORES = `0-${availableParallelism() - 1}`

/** Pin every thread of this process to `cpus` (a taskset list, e.g. `0` or `0-1`). */
function pinSelf(cpus: string): void {
  if (PIN) execFileSync('taskset', ['-a', '-c', '-p', cpus, String(process.pid)], { stdio: 'ignore' })
}

interface Running {
  url: string
  /** The server's root process (its workers are its children). */
  pid: number
  /** Pinned to core 1 (`PIN`): the load then runs from core 0. */
  pinned: boolean
  stop(): Promise<void>
}

const TICK_US = 1e6 / 100 // Linux USER_HZ

/**
 * CPU time (µs) used so far by a process and its descendants, from /proc (Linux). Unlike
 * requests per second, CPU per request barely moves when other work shares the machine.
 */
function treeCpuUs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    let us = (Number(fields[11]) + Number(fields[12])) * TICK_US
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim()
      for (const kid of kids ? kids.split(' ') : []) us += treeCpuUs(Number(kid))
    }
    return us
  } catch {
    return Number.NaN
  }
}

/** The command line of one Node bench server (bench/support/http-server.ts). */
function nodeServerArgv(kind: string): string[] {
  return [process.execPath, ...NODE_TS_ARGS, serverScript, kind]
}

async function startNode(kind: string): Promise<Running> {
  const argv = nodeServerArgv(kind)
  const child = PIN
    ? spawn('taskset', ['-c', '1', ...argv], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await announcedPort(child, `bench server ${kind}`)
  return {
    url: `http://127.0.0.1:${port}/page`,
    pid: child.pid as number,
    pinned: PIN,
    stop: () => stopChild(child),
  }
}

async function startDjango(): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'cachework-django-'))
  writeFileSync(join(dir, 'benchapp.py'), djangoApp())
  const port = await freePort()
  const gunicorn = [
    '/usr/bin/python3',
    ...['-m', 'gunicorn', '-w', '2', '-b', `127.0.0.1:${port}`, '--chdir', dir],
    ...['--log-level', 'warning', 'benchapp:application'],
  ]
  const child = spawn(gunicorn[0] as string, gunicorn.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] })
  const url = `http://127.0.0.1:${port}/page`
  const failed = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`gunicorn exited with ${code}; install it with scripts/ensure-system.sh bench`)),
    ),
  )
  for (let i = 0; ; i++) {
    const ok = await Promise.race([
      fetch(url).then(
        (r) => r.ok,
        () => false,
      ),
      failed,
    ])
    if (ok) break
    if (i > 100) throw new Error('gunicorn did not answer within 10 s')
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    pid: child.pid as number,
    pinned: false,
    stop: async () => {
      await stopChild(child)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** One round of one contender: what was counted after the lead-in. */
interface Measured {
  /** Responses per second (of any status), counted after the lead-in. */
  rps: number
  /** Responses counted after the lead-in. */
  requests: number
  /** CPU µs the server used over the same window (NaN if /proc could not be read). */
  cpuUs: number
  /** Non-2xx responses, errors and timeouts of the whole call (lead-in included). */
  failed: number
  /** Responses of the whole call (lead-in included), what `failed` is out of. */
  answered: number
}

/**
 * Load `url` for `LEAD_IN_MS` plus `seconds`, counting responses and the server's CPU (`cpu()`)
 * only from the end of the lead-in to the end of the call. autocannon stops only on a sample
 * tick (1 s by default, so a 1.8 s call ran 2 s and its `requests.average` was a mean of
 * whole-second samples, the first one holding the lead-in); sampling every 100 ms makes it stop
 * within 0.1 s of the duration, and the window is timed here rather than assumed.
 */
function load(url: string, seconds: number, cpu: () => number = () => Number.NaN): Promise<Measured> {
  return new Promise((resolve, reject) => {
    let responses = 0
    let from: { n: number; t: number; cpu: number } | undefined
    const lead = setTimeout(() => {
      from = { n: responses, t: performance.now(), cpu: cpu() }
    }, LEAD_IN_MS)
    const opts = { url, connections: CONNECTIONS, duration: LEAD_IN_MS / 1000 + seconds, pipelining: 1 }
    const run = autocannon({ ...opts, sampleInt: 100 }, (err, r) => {
      clearTimeout(lead)
      if (err) return reject(err)
      const now = performance.now()
      const requests = from ? responses - from.n : 0
      resolve({
        rps: from ? requests / ((now - from.t) / 1000) : Number.NaN,
        requests,
        cpuUs: from ? cpu() - from.cpu : Number.NaN,
        failed: r.non2xx + r.errors + r.timeouts,
        answered: r.requests.total,
      })
    })
    run.on('response', () => {
      responses++
    })
  })
}

interface Contender {
  name: string
  start: () => Promise<Running>
  note?: string
  server?: Running
  /** req/s of each round. */
  rounds: number[]
  /** Server CPU µs per request of each round (NaN where /proc could not be read). */
  cpuRounds: number[]
  /** Failures and responses of the whole calls, for the row's note. */
  failed: number
  answered: number
  /** Responses and server CPU µs counted over all rounds (after each lead-in). */
  total: number
  cpuUs: number
}

/**
 * Measure the servers in paired rounds, each round of each server on a new process warmed up
 * first: in each round the groups of contenders that are compared with one another run one
 * group after the other, each group's members back to back, the groups' order and the order
 * within each group rotated by one each round (bench/support/paired.ts). Each row reports its
 * median round with the min–max range; each comparison the median of its per-round ratios, so
 * load from elsewhere on a shared machine that drifts over seconds lands on both members of a
 * pair alike rather than on one of them.
 */
async function measureAll(
  contenders: Contender[],
  groups: readonly (readonly string[])[],
): Promise<{ rps: Row[]; cpu: Row[] }> {
  const byName = new Map(contenders.map((c) => [c.name, c]))
  const grouped = groups.map((g) =>
    g.map((name) => {
      const c = byName.get(name)
      if (!c) throw new Error(`http bench: no contender named ${name}`)
      byName.delete(name)
      return c
    }),
  )
  if (byName.size > 0) throw new Error(`http bench: not in any group: ${[...byName.keys()].join(', ')}`)
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of groupedOrder(grouped, round)) {
        // A new server process every round: two processes of one server kind differ by up to
        // ~30 % in req/s on this machine (code and heap layout), so one process per row would
        // let one draw decide every round of it; a process per round samples that too.
        const server = await c.start()
        c.server = server
        pinSelf(server.pinned ? '0' : ALL_CORES)
        await load(server.url, WARM_UP_SECONDS) // JIT, sockets, first miss
        const r = await load(server.url, ROUND_SECONDS, () => treeCpuUs(server.pid))
        await server.stop()
        c.server = undefined
        c.rounds.push(r.rps)
        c.cpuRounds.push(r.requests > 0 ? r.cpuUs / r.requests : Number.NaN)
        c.cpuUs += r.cpuUs
        c.failed += r.failed
        c.answered += r.answered
        c.total += r.requests
      }
    }
  } finally {
    await Promise.all(contenders.map((c) => c.server?.stop()))
    pinSelf(ALL_CORES)
  }
  return {
    rps: contenders.map((c) => ({
      ...roundsRow(c.name, c.rounds),
      note: [c.note ?? '', c.failed > 0 ? `${c.failed} failed of ${c.answered}` : '']
        .filter(Boolean)
        .join('; '),
    })),
    // Requests per CPU-second of the server (its own CPU only, load generator excluded).
    cpu: contenders.map((c) => ({
      name: c.name,
      opsPerSec: c.cpuUs > 0 ? (c.total / c.cpuUs) * 1e6 : Number.NaN,
      note: c.cpuUs > 0 ? `${(c.cpuUs / c.total).toFixed(0)} µs CPU per request` : '',
    })),
  }
}

const contender = (name: string, start: () => Promise<Running>, note?: string): Contender => ({
  name,
  start,
  note,
  rounds: [],
  cpuRounds: [],
  failed: 0,
  answered: 0,
  total: 0,
  cpuUs: 0,
})

const NODE = 'node:http, fixed bytes'
const NODE_CACHED = 'node:http + cachework (cached page)'
const NODE_SHARED = 'node:http + cachework, locmem isolate: false'
const SLOW_VIEW = 'node:http, uncached 20 ms view'
const DJANGO = 'Django 3.2 CacheMiddleware, gunicorn -w 2'
const EXPRESS = 'Express 5, fixed body, no cache'
const EXPRESS_CACHED = 'Express 5 + cachework cacheMiddleware'
const APICACHE = 'Express 5 + apicache'
const FASTIFY = 'Fastify 5, fixed body, no cache'
const FASTIFY_CACHED = 'Fastify 5 + cachework fastifyCache'
const FASTIFY_CACHING = 'Fastify 5 + @fastify/caching'
const HONO = 'Hono 4 on @hono/node-server, fixed body'
const HONO_APP = 'Hono 4 + cachework cacheApp'
const HONO_MW = 'Hono 4 + cachework cacheMiddleware'
const KOA = 'Koa 3, fixed body, no cache'
const KOA_CACHED = 'Koa 3 + cachework cacheMiddleware'
const KOA_CASH = 'Koa 3 + koa-cash'

/**
 * The groups of contenders compared with one another, each in the order its round 0 runs:
 * the cachework row sits next to every row it is compared with (Django is in the node:http
 * group, next to the cached page it is compared with).
 */
const GROUPS: readonly (readonly string[])[] = [
  [NODE, NODE_CACHED, DJANGO, NODE_SHARED, SLOW_VIEW],
  [EXPRESS, EXPRESS_CACHED, APICACHE],
  [FASTIFY, FASTIFY_CACHED, FASTIFY_CACHING],
  [HONO_APP, HONO, HONO_MW],
  [KOA, KOA_CACHED, KOA_CASH],
]

export const suite: BenchSuite = {
  name: 'http',
  title: 'HTTP page cache (node:http, Express, apicache, Django, Fastify, Hono, Koa)',
  async run(): Promise<Table[]> {
    const loadBefore = loadavg()[0] ?? 0
    const contenders = [
      contender(NODE, () => startNode('bare')),
      contender(NODE_CACHED, () => startNode('node-cached'), 'cache hit, locmem'),
      contender(
        NODE_SHARED,
        () => startNode('node-cached-shared'),
        'cache hit; the hit path never copies a locmem page, so this matches the row above',
      ),
      contender(EXPRESS, () => startNode('express')),
      contender(EXPRESS_CACHED, () => startNode('express-cached'), 'cache hit'),
      contender(APICACHE, () => startNode('express-apicache'), 'cache hit'),
      contender(DJANGO, startDjango, 'locmem, cache hit'),
      contender(SLOW_VIEW, () => startNode('slow-view')),
      contender(FASTIFY, () => startNode('fw-fastify')),
      contender(FASTIFY_CACHED, () => startNode('fw-fastify-cached'), 'cache hit'),
      contender(
        FASTIFY_CACHING,
        () => startNode('fw-fastify-caching'),
        'headers only: the handler runs every time',
      ),
      contender(HONO, () => startNode('fw-hono')),
      contender(HONO_APP, () => startNode('fw-hono-app'), 'cache hit, in front of the router'),
      contender(HONO_MW, () => startNode('fw-hono-cached'), "cache hit, app.use('*')"),
      contender(KOA, () => startNode('fw-koa')),
      contender(KOA_CACHED, () => startNode('fw-koa-cached'), 'cache hit'),
      contender(KOA_CASH, () => startNode('fw-koa-cash'), 'cache hit, Map store'),
    ]
    const { rps: rows, cpu } = await measureAll(contenders, GROUPS)
    const byName = new Map(contenders.map((x) => [x.name, x]))
    const samples = (name: string) => byName.get(name) as Contender
    // req/s of a ÷ req/s of b within each round.
    const rps = (a: string, b: string): PairedRatio => pairedRatio(samples(a).rounds, samples(b).rounds)
    // Requests per CPU-second of a ÷ those of b within each round: b's µs per request ÷ a's.
    const perCpu = (a: string, b: string): PairedRatio =>
      pairedRatio(samples(b).cpuRounds, samples(a).cpuRounds)
    const judged = (p: PairedRatio, target: number): string => `${met(p.median, target)} (${formatPaired(p)})`
    const t: Table = {
      title: `Requests per second, ${CONNECTIONS} connections, median of ${ROUNDS} paired ${ROUND_SECONDS.toFixed(2)} s rounds per row (min–max alongside)`,
      unit: 'req/s',
      rows,
    }
    t.notes = [
      `Each ratio below is the median of ${ROUNDS} per-round ratios (the two rows' req/s in the same round, run back to back), with the lowest and highest per-round ratio in parentheses; a target is met or missed on that median. The ratio column of the table divides the rows' medians.`,
      `node:http cached page ≥ 0.6× bare node:http: ${judged(rps(NODE_CACHED, NODE), 0.6)}`,
      `Express + cachework ≥ 0.9× bare Express: ${judged(rps(EXPRESS_CACHED, EXPRESS), 0.9)}`,
      `Express + cachework ≥ Express + apicache: ${judged(rps(EXPRESS_CACHED, APICACHE), 1)}`,
      `node:http cached page ≥ 4× Django CacheMiddleware: ${judged(rps(NODE_CACHED, DJANGO), 4)}`,
      `Fastify + cachework ≥ 0.9× bare Fastify: ${judged(rps(FASTIFY_CACHED, FASTIFY), 0.9)}; ≥ Fastify + @fastify/caching: ${judged(rps(FASTIFY_CACHED, FASTIFY_CACHING), 1)}`,
      `Hono + cachework cacheApp ≥ 0.9× bare Hono (node-server): ${judged(rps(HONO_APP, HONO), 0.9)}; the middleware ${formatPaired(rps(HONO_MW, HONO))}`,
      `Koa + cachework ≥ Koa + koa-cash: ${judged(rps(KOA_CACHED, KOA_CASH), 1)}; vs bare Koa ${formatPaired(rps(KOA_CACHED, KOA))}`,
      `Rounds: the groups of compared rows (node:http with Django and the 20 ms view; Express; Fastify; Hono; Koa) run one after the other, each group's rows back to back, the order of the groups and the order within each group rotated by one each round. Each round of a row is one autocannon call on ${CONNECTIONS} new connections to a new server process, started for that round and warmed up by ${WARM_UP_SECONDS} s of the same load (two processes of one server differ by up to ~30 % in req/s here, so one process per row would let one draw decide all its rounds); its first ${LEAD_IN_MS} ms is not counted (\`HTTP_BENCH_SECONDS\`=${SECONDS} counted seconds per row over \`HTTP_BENCH_ROUNDS\`=${ROUNDS} rounds).`,
      `Load: autocannon (${CONNECTIONS} connections, keep-alive) in the bench process; each server in its own process (gunicorn: 2 sync workers); ${PIN ? 'for Node rows autocannon runs on core 0 and the server on core 1; for Django both are unpinned' : 'all share the machine'} (${availableParallelism()} cores). 1-min load average ${loadBefore.toFixed(1)} before the run, ${(loadavg()[0] ?? 0).toFixed(1)} after (other work on the machine makes req/s noisy).`,
    ]
    const c: Table = {
      title: 'Requests per CPU-second of the server process(es), same runs',
      unit: 'req/CPU-s',
      rows: cpu,
      notes: [
        `Paired as above (median of the per-round ratios of requests per CPU-second, min–max in parentheses): node:http cached page vs bare: ${formatPaired(perCpu(NODE_CACHED, NODE))}; Express + cachework vs bare Express: ${formatPaired(perCpu(EXPRESS_CACHED, EXPRESS))}; vs apicache: ${formatPaired(perCpu(EXPRESS_CACHED, APICACHE))}; node:http cached page vs Django: ${formatPaired(perCpu(NODE_CACHED, DJANGO))}.`,
        `Fastify + cachework vs bare Fastify: ${formatPaired(perCpu(FASTIFY_CACHED, FASTIFY))}, vs @fastify/caching: ${formatPaired(perCpu(FASTIFY_CACHED, FASTIFY_CACHING))}; Hono + cachework cacheApp vs bare Hono: ${formatPaired(perCpu(HONO_APP, HONO))} (the middleware ${formatPaired(perCpu(HONO_MW, HONO))}); Koa + cachework vs koa-cash: ${formatPaired(perCpu(KOA_CACHED, KOA_CASH))}, vs bare Koa ${formatPaired(perCpu(KOA_CACHED, KOA))}.`,
        'CPU from /proc (utime + stime of the server and its workers, counted over the same windows as the requests): on a shared, busy machine this is the steadier measure of what each stack costs per request. The table shows each row over all its rounds.',
      ],
    }
    if (!hasCallgrind() || process.env.HTTP_BENCH_CALLGRIND === '0') return [t, c]
    try {
      return [t, c, await instructionTable((kind) => nodeServerArgv(kind).slice(1))]
    } catch (err) {
      // A callgrind run that fails (requests timing out on a loaded machine) must not throw
      // away the measured tables above.
      c.notes?.push(`Instruction counts not measured this run: ${(err as Error).message}.`)
      return [t, c]
    }
  },
}
