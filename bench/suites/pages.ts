/**
 * `npm run bench -- pages`: the page cache at the size sites have: 10,000 distinct URLs of ~2 KiB
 * each, every one cached, read in a shuffled order by autocannon (64 connections) over real
 * sockets. Each server runs in its own process (bench/support/pages-server.ts); rounds are
 * interleaved with the order rotated, and each row is the median round. Also: the resident
 * memory of a page cache holding all 10,000 pages.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import type { BenchSuite, Row, Table } from '../harness.ts'
import { announcedPort, stopChild } from '../support/child.ts'
import { targetNote } from '../support/notes.ts'
import { loadNow, median } from '../support/rounds.ts'

const URLS = 10_000
const ROUNDS = 7
const SECONDS = Number(process.env.PAGES_BENCH_SECONDS ?? 3)
const script = fileURLToPath(new URL('../support/pages-server.ts', import.meta.url))

interface Server {
  name: string
  kind: string
  port: number
  stop(): Promise<void>
}

async function start(name: string, kind: string): Promise<Server> {
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--conditions=@cachework/source', '--import', 'tsx', script, kind],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const port = await announcedPort(child, `pages server ${kind}`)
  return { name, kind, port, stop: () => stopChild(child) }
}

/** The URL paths in a fixed shuffled order. */
function paths(): string[] {
  const out = Array.from({ length: URLS }, (_, i) => `/page/${i}`)
  let x = 2463534242
  for (let i = out.length - 1; i > 0; i--) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    const j = (x >>> 0) % (i + 1)
    ;[out[i], out[j]] = [out[j] as string, out[i] as string]
  }
  return out
}

/** Socket errors and timeouts seen by the load generator (reported under the tables). */
let errors = 0

async function load(port: number, seconds: number, order: string[]): Promise<number> {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 64,
    duration: seconds,
    requests: order.map((path) => ({ method: 'GET', path })),
  })
  if (r.non2xx > 0) throw new Error(`${r.non2xx} non-2xx answers`)
  errors += r.errors + r.timeouts
  return r.requests.average
}

async function rssOf(port: number): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${port}/__rss`)
  return ((await r.json()) as { rss: number }).rss
}

export const suite: BenchSuite = {
  name: 'pages',
  title: 'page cache at 10,000 distinct URLs',
  command: 'npm run bench -- pages',
  async run(): Promise<Table[]> {
    const before = loadNow()
    const order = paths()
    const servers: Server[] = []
    try {
      for (const [name, kind] of [
        ['bare node:http (renders every page)', 'bare'],
        ['node:http + cachework cacheMiddleware', 'node-cached'],
        ['Express (renders every page)', 'express'],
        ['Express + cachework cacheMiddleware', 'express-cached'],
        ['Express + apicache', 'express-apicache'],
      ] as const) {
        servers.push(await start(name, kind))
      }
      const rssBefore = new Map<string, number>()
      for (const s of servers) rssBefore.set(s.name, await rssOf(s.port))
      // Prime: one pass over every URL so that the measured requests are all cache hits.
      for (const s of servers) {
        for (let i = 0; i < URLS; i += 200) {
          await Promise.all(
            order
              .slice(i, i + 200)
              .map((p) => fetch(`http://127.0.0.1:${s.port}${p}`).then((r) => r.arrayBuffer())),
          )
        }
      }
      const samples = new Map<string, number[]>(servers.map((s) => [s.name, []]))
      for (let r = 0; r < ROUNDS; r++) {
        for (let i = 0; i < servers.length; i++) {
          const s = servers[(i + r) % servers.length] as Server
          samples.get(s.name)?.push(await load(s.port, SECONDS, order))
        }
      }
      const rows: Row[] = servers.map((s) => {
        const xs = samples.get(s.name) ?? []
        return { name: s.name, opsPerSec: median(xs), min: Math.min(...xs), max: Math.max(...xs) }
      })
      const node: Table = {
        title: `node:http: requests/s over ${URLS.toLocaleString('en-US')} distinct cached URLs (~2 KiB pages)`,
        unit: 'req/s',
        rows: rows.slice(0, 2),
        notes: [
          targetNote(
            rows,
            'node:http + cachework cacheMiddleware',
            'bare node:http (renders every page)',
            0.6,
            'page-cache hits vs bare node:http',
          ),
        ],
      }
      const ex: Table = {
        title: `Express: requests/s over ${URLS.toLocaleString('en-US')} distinct cached URLs (~2 KiB pages)`,
        unit: 'req/s',
        rows: rows.slice(2),
        notes: [
          targetNote(
            rows,
            'Express + cachework cacheMiddleware',
            'Express + apicache',
            1,
            'cachework vs apicache',
          ),
        ],
      }
      const mem: Row[] = []
      for (const s of servers) {
        if (s.kind === 'bare' || s.kind === 'express') continue
        const grown = (await rssOf(s.port)) - (rssBefore.get(s.name) ?? 0)
        mem.push({
          name: s.name,
          opsPerSec: grown / 2 ** 20,
          note: `${Math.round(grown / URLS)} bytes per page`,
        })
      }
      const memory: Table = {
        title: `resident memory added by holding ${URLS.toLocaleString('en-US')} cached pages of ~2 KiB (after GC)`,
        unit: 'MiB',
        rows: mem,
        notes: [
          'Lower is better here. RSS grows in pages and rarely shrinks: an upper bound of what the entries hold.',
        ],
      }
      const notes = `${ROUNDS} interleaved rounds of ${SECONDS} s per server (autocannon, 64 connections, the URL list in a fixed shuffled order), order rotated each round; median (min–max). Load (1/5/15 min) before: ${before}; after: ${loadNow()}. Socket errors/timeouts seen by autocannon: ${errors}.`
      node.notes?.push(notes)
      ex.notes?.push(notes)
      return [node, ex, memory]
    } finally {
      await Promise.all(servers.map((s) => s.stop()))
    }
  },
}
