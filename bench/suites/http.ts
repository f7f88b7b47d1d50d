/**
 * `npm run bench -- http`: requests per second of cached pages over real sockets. Each server
 * runs in its own process (bench/support/http-server.ts, or gunicorn for Django) and autocannon
 * drives it from this one with 64 connections, so the load generator never shares the server's
 * event loop. Every server answers the same ~1 KiB page.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { type BenchSuite, fmt, ratio, type Row, type Table } from '../harness.ts'
import { djangoApp } from '../support/http-django.ts'

const CONNECTIONS = 64
const SECONDS = Number(process.env.HTTP_BENCH_SECONDS ?? 5)
const serverScript = fileURLToPath(new URL('../support/http-server.ts', import.meta.url))

interface Running {
  url: string
  stop(): Promise<void>
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

async function startNode(kind: string): Promise<Running> {
  const child = spawn(
    process.execPath,
    ['--conditions=@cachework/source', '--import', 'tsx', serverScript, kind],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const port = await new Promise<number>((resolve, reject) => {
    let buf = ''
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString()
      const nl = buf.indexOf('\n')
      if (nl >= 0) resolve((JSON.parse(buf.slice(0, nl)) as { port: number }).port)
    })
    child.once('exit', (code) => reject(new Error(`bench server ${kind} exited with ${code}`)))
  })
  return { url: `http://127.0.0.1:${port}/page`, stop: () => stopChild(child) }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

async function startDjango(): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'cachework-django-'))
  writeFileSync(join(dir, 'benchapp.py'), djangoApp())
  const port = await freePort()
  const child = spawn(
    '/usr/bin/python3',
    [
      '-m',
      'gunicorn',
      '-w',
      '2',
      '-b',
      `127.0.0.1:${port}`,
      '--chdir',
      dir,
      '--log-level',
      'warning',
      'benchapp:application',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  )
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
    stop: async () => {
      await stopChild(child)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function load(url: string, seconds: number): Promise<autocannon.Result> {
  return autocannon({ url, connections: CONNECTIONS, duration: seconds, pipelining: 1 })
}

async function row(name: string, start: () => Promise<Running>, note = ''): Promise<Row> {
  const server = await start()
  try {
    await load(server.url, 1) // warm up: JIT, keep-alive sockets, and the cache's first miss
    const r = await load(server.url, SECONDS)
    const bad = r.non2xx + r.errors + r.timeouts
    const extra = bad > 0 ? `${bad} failed of ${r.requests.total}` : ''
    return { name, opsPerSec: r.requests.average, note: [note, extra].filter(Boolean).join('; ') }
  } finally {
    await server.stop()
  }
}

const met = (x: number, target: number): string => (x >= target ? 'met' : 'missed')

export const suite: BenchSuite = {
  name: 'http',
  title: 'HTTP page cache (node:http, Express, apicache, Django)',
  async run(): Promise<Table[]> {
    const rows: Row[] = []
    rows.push(await row('node:http, fixed bytes', () => startNode('bare')))
    rows.push(await row('node:http + cachework (cached page)', () => startNode('node-cached'), 'cache hit'))
    rows.push(await row('Express 5, fixed body, no cache', () => startNode('express')))
    rows.push(
      await row('Express 5 + cachework cacheMiddleware', () => startNode('express-cached'), 'cache hit'),
    )
    rows.push(await row('Express 5 + apicache', () => startNode('express-apicache'), 'cache hit'))
    rows.push(await row('Django 3.2 CacheMiddleware, gunicorn -w 2', startDjango, 'locmem, cache hit'))
    rows.push(await row('node:http, uncached 20 ms view', () => startNode('slow-view')))
    const t: Table = {
      title: `Requests per second, ${CONNECTIONS} connections, ${SECONDS} s per row`,
      unit: 'req/s',
      rows,
    }
    const nodeVsBare = ratio(t, 'node:http + cachework (cached page)', 'node:http, fixed bytes')
    const expressVsBare = ratio(t, 'Express 5 + cachework cacheMiddleware', 'Express 5, fixed body, no cache')
    const expressVsApicache = ratio(t, 'Express 5 + cachework cacheMiddleware', 'Express 5 + apicache')
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
      `Load: autocannon in the bench process, each server in its own process; the machine's cores are shared by both (${fmt(CONNECTIONS)} connections).`,
    ]
    return [t]
  },
}
