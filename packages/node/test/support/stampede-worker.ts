// Child process for the stampede tests: one "server process" of a fleet, started once and given
// jobs as JSON lines on stdin (starting Node + tsx per job would cost seconds). A job opens (or
// reuses) the shared cache, runs `callers` concurrent getOrSet(key, factory, timeout ?? 60,
// { lock: 'distributed', lockTimeoutMs, staleWhileRevalidate? }) and prints `{ id, answers, maxWaitMs }`. Every factory
// run appends this pid to `countFile` first, so the parent counts runs across the fleet from
// the file, not from timings. With `hold`, the factory prints `{ id, computing: true }` and never
// finishes (the parent SIGKILLs this process while it holds the lease).
import { appendFileSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { type Cache, configureCaches } from '@cachework/core'
import { DatabaseCache } from '../../src/db.ts'
import { FileBasedCache } from '../../src/file.ts'
import { cacheMiddleware } from '../../src/http.ts'
import { MemcachedCache } from '../../src/memcached.ts'
import { RedisCache } from '../../src/redis.ts'

/** A page-cache job: serve a node:http site through `cacheMiddleware` on one memcached. */
export interface ServeJob {
  id: number
  serve: true
  location: string
  countFile: string
  seconds: number
  staleWhileRevalidate: number
  renderMs: number
}

let configured = false

function serve(j: ServeJob): void {
  if (!configured) {
    configureCaches({
      default: { backend: MemcachedCache, location: j.location, options: { timeoutMs: 3000 } },
    })
    configured = true
  }
  const site = cacheMiddleware({
    seconds: j.seconds,
    staleWhileRevalidate: j.staleWhileRevalidate,
    lock: 'distributed',
    lockTimeoutMs: 5000,
  })
  const server = createServer(
    site((_req, res) => {
      appendFileSync(j.countFile, `${process.pid}\n`)
      const run = readFileSync(j.countFile, 'utf8').split('\n').filter(Boolean).length
      setTimeout(() => {
        res.setHeader('content-type', 'text/plain')
        res.end(`render ${run}`)
      }, j.renderMs)
    }),
  )
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address()
    say({ id: j.id, port: typeof addr === 'object' && addr ? addr.port : 0 })
  })
}

/** One job. */
export interface StampedeJob {
  id: number
  backend: 'memcached' | 'db' | 'file' | 'redis'
  location: string
  database?: string
  key: string
  callers: number
  factoryMs: number
  lockTimeoutMs: number
  hold?: boolean
  countFile: string
  /** getOrSet's timeout in seconds (default 60). */
  timeout?: number
  /** getOrSet's staleWhileRevalidate in seconds (default: not passed). */
  staleWhileRevalidate?: number
}

const caches = new Map<string, Cache>()

function open(j: StampedeJob): Cache {
  const id = `${j.backend}|${j.location}|${j.database ?? ''}`
  let c = caches.get(id)
  if (!c) {
    const options = { timeoutMs: 3000, ...(j.database ? { database: j.database } : {}) }
    if (j.backend === 'memcached') c = new MemcachedCache({ location: j.location, options })
    else if (j.backend === 'redis') c = new RedisCache({ location: j.location, options })
    else if (j.backend === 'db') c = new DatabaseCache({ location: j.location, options })
    else c = new FileBasedCache({ location: j.location, options })
    caches.set(id, c)
  }
  return c
}

const say = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`)

async function run(j: StampedeJob): Promise<void> {
  const cache = open(j)
  const factory = async () => {
    appendFileSync(j.countFile, `${process.pid}\n`)
    if (j.hold) {
      say({ id: j.id, computing: true })
      await new Promise(() => {}) // never finishes: the parent kills this process
    }
    await new Promise((r) => setTimeout(r, j.factoryMs))
    return `value-of-${process.pid}`
  }
  const t0 = Date.now()
  let maxWaitMs = 0
  const answers = await Promise.all(
    Array.from({ length: j.callers }, async () => {
      const v = await cache.getOrSet(j.key, factory, j.timeout ?? 60, {
        lock: 'distributed',
        lockTimeoutMs: j.lockTimeoutMs,
        ...(j.staleWhileRevalidate === undefined ? {} : { staleWhileRevalidate: j.staleWhileRevalidate }),
      })
      maxWaitMs = Math.max(maxWaitMs, Date.now() - t0)
      return v
    }),
  )
  say({ id: j.id, answers: [...new Set(answers)], maxWaitMs })
}

let buf = ''
process.stdin.on('data', (d) => {
  buf += d
  let i = buf.indexOf('\n')
  while (i >= 0) {
    const line = buf.slice(0, i)
    buf = buf.slice(i + 1)
    i = buf.indexOf('\n')
    if (line === 'exit') {
      Promise.all([...caches.values()].map((c) => c.close())).then(() => process.exit(0))
      return
    }
    const job = JSON.parse(line) as StampedeJob | ServeJob
    if ('serve' in job) {
      serve(job)
      continue
    }
    run(job).catch((e) => say({ id: job.id, error: String(e?.stack ?? e) }))
  }
})
say({ ready: true })
