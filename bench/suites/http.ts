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
import { type BenchSuite, ratio, type Row, type Table } from '../harness.ts'
import { freePort } from '../../packages/node/test/support/free-port.ts'
import {
  CALLGRIND_CONNECTIONS,
  COUNTED_REQUESTS,
  hasCallgrind,
  instructionsPerRequest,
  WARMUP_REQUESTS,
  WARMUP_RUNS,
} from '../support/callgrind.ts'
import { announcedPort, stopChild } from '../support/child.ts'
import { djangoApp } from '../support/http-django.ts'
import { NODE_TS_ARGS } from '../support/node-argv.ts'

const CONNECTIONS = 64
/** Seconds measured per row, split over `ROUNDS` interleaved rounds (the median is reported). */
const SECONDS = Number(process.env.HTTP_BENCH_SECONDS ?? 12)
const ROUNDS = 6
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

async function load(url: string, seconds: number): Promise<autocannon.Result> {
  return autocannon({ url, connections: CONNECTIONS, duration: seconds, pipelining: 1 })
}

interface Contender {
  name: string
  start: () => Promise<Running>
  note?: string
  server?: Running
  /** req/s of each round. */
  rounds: number[]
  failed: number
  total: number
  cpuUs: number
}

/**
 * Start every server first (idle ones cost nothing), warm each up, then measure them in
 * interleaved rounds (the order rotated by one each round, as bench/support/rounds.ts does)
 * and report each one's median round with the min–max range, so a burst of load from
 * elsewhere on a shared machine lands on one round of one row rather than on a whole row.
 */
async function measureAll(contenders: Contender[]): Promise<{ rps: Row[]; cpu: Row[] }> {
  try {
    for (const c of contenders) c.server = await c.start()
    for (const c of contenders) {
      pinSelf((c.server as Running).pinned ? '0' : ALL_CORES)
      await load((c.server as Running).url, 1) // JIT, sockets, first miss
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = contenders.map((_, i) => contenders[(i + round) % contenders.length] as Contender)
      for (const c of order) {
        const server = c.server as Running
        pinSelf(server.pinned ? '0' : ALL_CORES)
        const cpu0 = treeCpuUs(server.pid)
        const r = await load(server.url, SECONDS / ROUNDS)
        c.cpuUs += treeCpuUs(server.pid) - cpu0
        c.rounds.push(r.requests.average)
        c.failed += r.non2xx + r.errors + r.timeouts
        c.total += r.requests.total
      }
    }
  } finally {
    await Promise.all(contenders.map((c) => c.server?.stop()))
    pinSelf(ALL_CORES)
  }
  return {
    rps: contenders.map((c) => ({
      name: c.name,
      opsPerSec: median(c.rounds),
      min: Math.min(...c.rounds),
      max: Math.max(...c.rounds),
      note: [c.note ?? '', c.failed > 0 ? `${c.failed} failed of ${c.total}` : ''].filter(Boolean).join('; '),
    })),
    // Requests per CPU-second of the server (its own CPU only, load generator excluded).
    cpu: contenders.map((c) => ({
      name: c.name,
      opsPerSec: c.cpuUs > 0 ? (c.total / c.cpuUs) * 1e6 : Number.NaN,
      note: c.cpuUs > 0 ? `${(c.cpuUs / c.total).toFixed(0)} µs CPU per request` : '',
    })),
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

const met = (x: number, target: number): string => (x >= target ? 'met' : 'missed')
const contender = (name: string, start: () => Promise<Running>, note?: string): Contender => ({
  name,
  start,
  note,
  rounds: [],
  failed: 0,
  total: 0,
  cpuUs: 0,
})

export const suite: BenchSuite = {
  name: 'http',
  title: 'HTTP page cache (node:http, Express, apicache, Django, Fastify, Hono, Koa)',
  async run(): Promise<Table[]> {
    const loadBefore = loadavg()[0] ?? 0
    const { rps: rows, cpu } = await measureAll([
      contender('node:http, fixed bytes', () => startNode('bare')),
      contender('node:http + cachework (cached page)', () => startNode('node-cached'), 'cache hit, locmem'),
      contender(
        'node:http + cachework, locmem isolate: false',
        () => startNode('node-cached-shared'),
        'cache hit; the hit path never copies a locmem page, so this matches the row above',
      ),
      contender('Express 5, fixed body, no cache', () => startNode('express')),
      contender('Express 5 + cachework cacheMiddleware', () => startNode('express-cached'), 'cache hit'),
      contender('Express 5 + apicache', () => startNode('express-apicache'), 'cache hit'),
      contender('Django 3.2 CacheMiddleware, gunicorn -w 2', startDjango, 'locmem, cache hit'),
      contender('node:http, uncached 20 ms view', () => startNode('slow-view')),
      contender('Fastify 5, fixed body, no cache', () => startNode('fw-fastify')),
      contender('Fastify 5 + cachework fastifyCache', () => startNode('fw-fastify-cached'), 'cache hit'),
      contender(
        'Fastify 5 + @fastify/caching',
        () => startNode('fw-fastify-caching'),
        'headers only: the handler runs every time',
      ),
      contender('Hono 4 on @hono/node-server, fixed body', () => startNode('fw-hono')),
      contender(
        'Hono 4 + cachework cacheApp',
        () => startNode('fw-hono-app'),
        'cache hit, in front of the router',
      ),
      contender(
        'Hono 4 + cachework cacheMiddleware',
        () => startNode('fw-hono-cached'),
        "cache hit, app.use('*')",
      ),
      contender('Koa 3, fixed body, no cache', () => startNode('fw-koa')),
      contender('Koa 3 + cachework cacheMiddleware', () => startNode('fw-koa-cached'), 'cache hit'),
      contender('Koa 3 + koa-cash', () => startNode('fw-koa-cash'), 'cache hit, Map store'),
    ])
    const t: Table = {
      title: `Requests per second, ${CONNECTIONS} connections, median of ${ROUNDS} interleaved ${SECONDS / ROUNDS} s rounds per row (min–max alongside)`,
      unit: 'req/s',
      rows,
    }
    const nodeVsBare = ratio(t, 'node:http + cachework (cached page)', 'node:http, fixed bytes')
    const expressVsBare = ratio(t, 'Express 5 + cachework cacheMiddleware', 'Express 5, fixed body, no cache')
    const expressVsApicache = ratio(t, 'Express 5 + cachework cacheMiddleware', 'Express 5 + apicache')
    const fastifyVsBare = ratio(t, 'Fastify 5 + cachework fastifyCache', 'Fastify 5, fixed body, no cache')
    const fastifyVsCaching = ratio(t, 'Fastify 5 + cachework fastifyCache', 'Fastify 5 + @fastify/caching')
    const honoVsBare = ratio(t, 'Hono 4 + cachework cacheApp', 'Hono 4 on @hono/node-server, fixed body')
    const honoMwVsBare = ratio(
      t,
      'Hono 4 + cachework cacheMiddleware',
      'Hono 4 on @hono/node-server, fixed body',
    )
    const koaVsCash = ratio(t, 'Koa 3 + cachework cacheMiddleware', 'Koa 3 + koa-cash')
    const koaVsBare = ratio(t, 'Koa 3 + cachework cacheMiddleware', 'Koa 3, fixed body, no cache')
    const nodeVsDjango = ratio(
      t,
      'node:http + cachework (cached page)',
      'Django 3.2 CacheMiddleware, gunicorn -w 2',
    )
    t.notes = [
      `node:http cached page ≥ 0.6× bare node:http: ${met(nodeVsBare, 0.6)} (${nodeVsBare.toFixed(2)}×)`,
      `Express + cachework ≥ 0.9× bare Express: ${met(expressVsBare, 0.9)} (${expressVsBare.toFixed(2)}×)`,
      `Express + cachework ≥ Express + apicache: ${met(expressVsApicache, 1)} (${expressVsApicache.toFixed(2)}×)`,
      `node:http cached page ≥ 4× Django CacheMiddleware: ${met(nodeVsDjango, 4)} (${nodeVsDjango.toFixed(2)}×)`,
      `Fastify + cachework ≥ 0.9× bare Fastify: ${met(fastifyVsBare, 0.9)} (${fastifyVsBare.toFixed(2)}×); ≥ Fastify + @fastify/caching: ${met(fastifyVsCaching, 1)} (${fastifyVsCaching.toFixed(2)}×)`,
      `Hono + cachework cacheApp ≥ 0.9× bare Hono (node-server): ${met(honoVsBare, 0.9)} (${honoVsBare.toFixed(2)}×); the middleware ${honoMwVsBare.toFixed(2)}×`,
      `Koa + cachework ≥ Koa + koa-cash: ${met(koaVsCash, 1)} (${koaVsCash.toFixed(2)}×); vs bare Koa ${koaVsBare.toFixed(2)}×`,
      `Load: autocannon (${CONNECTIONS} connections, keep-alive) in the bench process; each server in its own process (gunicorn: 2 sync workers); ${PIN ? 'for Node rows autocannon runs on core 0 and the server on core 1; for Django both are unpinned' : 'all share the machine'} (${availableParallelism()} cores). 1-min load average ${loadBefore.toFixed(1)} before the run, ${(loadavg()[0] ?? 0).toFixed(1)} after (other work on the machine makes req/s noisy).`,
    ]
    const cpuRatio = (a: string, b: string): string => ratio({ title: '', rows: cpu }, a, b).toFixed(2)
    const c: Table = {
      title: 'Requests per CPU-second of the server process(es), same runs',
      unit: 'req/CPU-s',
      rows: cpu,
      notes: [
        `node:http cached page vs bare: ${ratio({ title: '', rows: cpu }, 'node:http + cachework (cached page)', 'node:http, fixed bytes').toFixed(2)}×; Express + cachework vs bare Express: ${ratio({ title: '', rows: cpu }, 'Express 5 + cachework cacheMiddleware', 'Express 5, fixed body, no cache').toFixed(2)}×; vs apicache: ${ratio({ title: '', rows: cpu }, 'Express 5 + cachework cacheMiddleware', 'Express 5 + apicache').toFixed(2)}×; vs Django: ${ratio({ title: '', rows: cpu }, 'node:http + cachework (cached page)', 'Django 3.2 CacheMiddleware, gunicorn -w 2').toFixed(2)}×.`,
        `Fastify + cachework vs bare Fastify: ${cpuRatio('Fastify 5 + cachework fastifyCache', 'Fastify 5, fixed body, no cache')}×, vs @fastify/caching: ${cpuRatio('Fastify 5 + cachework fastifyCache', 'Fastify 5 + @fastify/caching')}×; Hono + cachework cacheApp vs bare Hono: ${cpuRatio('Hono 4 + cachework cacheApp', 'Hono 4 on @hono/node-server, fixed body')}× (the middleware ${cpuRatio('Hono 4 + cachework cacheMiddleware', 'Hono 4 on @hono/node-server, fixed body')}×); Koa + cachework vs koa-cash: ${cpuRatio('Koa 3 + cachework cacheMiddleware', 'Koa 3 + koa-cash')}×.`,
        'CPU from /proc (utime + stime of the server and its workers): on a shared, busy machine this is the steadier measure of what each stack costs per request.',
      ],
    }
    if (!hasCallgrind() || process.env.HTTP_BENCH_CALLGRIND === '0') return [t, c]
    try {
      return [t, c, await instructionTable()]
    } catch (err) {
      // A callgrind run that fails (requests timing out on a loaded machine) must not throw
      // away the measured tables above.
      c.notes?.push(`Instruction counts not measured this run: ${(err as Error).message}.`)
      return [t, c]
    }
  },
}

/** The same stacks' instructions per request under callgrind (deterministic, unlike req/s). */
async function instructionTable(): Promise<Table> {
  const kinds: Array<[string, string]> = [
    ['Express 5 + apicache', 'express-apicache'],
    ['Express 5 + cachework cacheMiddleware', 'express-cached'],
    ['Express 5, fixed body, no cache', 'express'],
    ['node:http, fixed bytes', 'bare'],
    ['node:http + cachework (cached page)', 'node-cached'],
    ['Fastify 5, fixed body, no cache', 'fw-fastify'],
    ['Fastify 5 + cachework fastifyCache', 'fw-fastify-cached'],
    ['Fastify 5 + @fastify/caching', 'fw-fastify-caching'],
    ['Hono 4 on @hono/node-server, fixed body', 'fw-hono'],
    ['Hono 4 + cachework cacheApp', 'fw-hono-app'],
    ['Hono 4 + cachework cacheMiddleware', 'fw-hono-cached'],
    ['Koa 3, fixed body, no cache', 'fw-koa'],
    ['Koa 3 + cachework cacheMiddleware', 'fw-koa-cached'],
    ['Koa 3 + koa-cash', 'fw-koa-cash'],
  ]
  const rows: Row[] = []
  for (const [name, kind] of kinds) {
    const { perRequest, compileShare } = await instructionsPerRequest(nodeServerArgv(kind).slice(1))
    rows.push({
      name,
      opsPerSec: 1e9 / perRequest,
      note: `${Math.round(perRequest).toLocaleString('en-US')} instructions per request (TurboFan compiling ${(compileShare * 100).toFixed(1)} % of them)`,
    })
  }
  const t: Table = {
    title: 'Requests per 10⁹ machine instructions (valgrind callgrind)',
    unit: 'req/Ginstr',
    rows,
  }
  // Fewer instructions per request is better: each ratio is "how many times as many requests".
  const vs = (a: string, b: string, target: number): string => {
    const r = ratio(t, a, b)
    return `${r.toFixed(2)}× (${met(r, target)} ≥ ${target}×)`
  }
  t.notes = [
    `Express + cachework vs Express + apicache: ${vs('Express 5 + cachework cacheMiddleware', 'Express 5 + apicache', 1)}.`,
    `Fastify + cachework vs bare Fastify: ${vs('Fastify 5 + cachework fastifyCache', 'Fastify 5, fixed body, no cache', 0.9)}; vs @fastify/caching: ${vs('Fastify 5 + cachework fastifyCache', 'Fastify 5 + @fastify/caching', 1)}.`,
    `Hono + cachework cacheApp vs bare Hono (node-server): ${vs('Hono 4 + cachework cacheApp', 'Hono 4 on @hono/node-server, fixed body', 0.9)}; the middleware: ${vs('Hono 4 + cachework cacheMiddleware', 'Hono 4 on @hono/node-server, fixed body', 0.9)}.`,
    `Koa + cachework vs Koa + koa-cash: ${vs('Koa 3 + cachework cacheMiddleware', 'Koa 3 + koa-cash', 1)}.`,
    `Each server runs under \`valgrind --tool=callgrind\` with counting off through ${WARMUP_RUNS} warm-up runs of ${WARMUP_REQUESTS.toLocaleString('en-US')} requests, then on for ${COUNTED_REQUESTS.toLocaleString('en-US')} requests; every run is autocannon on ${CALLGRIND_CONNECTIONS} new connections. New connections deoptimise Node's http code until it has been compiled for them, so after one warm-up run V8's optimising compiler was 39–48 % of the count; after ${WARMUP_RUNS} it is the share printed per row. Node runs with V8's \`--predictable\` (compiler and GC on the main thread), so the count repeats to within ~1 % from run to run and does not depend on what else the machine is doing; it counts instructions, not cycles (cache misses and branch mispredictions are not in it). \`HTTP_BENCH_CALLGRIND=0\` skips this table.`,
  ]
  return t
}
