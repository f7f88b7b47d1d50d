/**
 * `npm run bench -- memcached`: the memcached backend against raw memjs (issue 3), side by side
 * against one memcached this suite starts and stops: single get/set at concurrency 1 and 64,
 * and getMany of 100 keys against memjs (sequential and `Promise.all`) and Django's own
 * `get_many` (PyLibMCCache if python3-pylibmc is installed, and PyMemcacheCache), timed in a
 * Python subprocess that reports its ops/s as JSON.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import memjs from 'memjs'
import { MemcachedCache } from '../../packages/node/src/memcached.ts'
import { MemcachedProcess } from '../../packages/node/test/support/memcached-server.ts'
import { type BenchSuite, measure, ratio, type Table } from '../harness.ts'

const run = promisify(execFile)
const N = 1000
const keys = Array.from({ length: N }, (_, i) => `bk-${i}`)
const value = (i: number) => `value-${i}-${'x'.repeat(80)}`
const BATCH = 100

function check(t: Table, a: string, b: string, min: number, label: string): string {
  const r = ratio(t, a, b)
  return `${label}: ${r.toFixed(2)}× (target ≥ ${min}×) — ${r >= min ? 'met' : 'MISSED'}`
}

/** Ops/s of `op` run `conc` at a time (each measured call runs `conc` ops in parallel). */
async function rate(op: (i: number) => Promise<unknown>, conc: number): Promise<number> {
  if (conc === 1) return measure(op, { ms: 1500, batch: 200 })
  const perCall = await measure(
    (i) => Promise.all(Array.from({ length: conc }, (_, j) => op(i * conc + j))),
    { ms: 1500, batch: 10 },
  )
  return perCall * conc
}

const PY = `
import json, sys, time
import django
from django.conf import settings
loc, backend = sys.argv[1], sys.argv[2]
settings.configure(CACHES={'default': {'BACKEND': backend, 'LOCATION': loc, 'KEY_PREFIX': 'py', 'TIMEOUT': None}})
django.setup()
from django.core.cache import cache
keys = ['pk-%d' % i for i in range(${N})]
cache.set_many({k: 'value-%d-%s' % (i, 'x' * 80) for i, k in enumerate(keys)})
batches = [keys[i:i + ${BATCH}] for i in range(0, ${N}, ${BATCH})]
assert len(cache.get_many(batches[0])) == ${BATCH}
def loop(seconds):
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for b in batches:
            cache.get_many(b)
        n += len(batches)
    return n / (time.perf_counter() - t0)
loop(0.3)
print(json.dumps({'opsPerSec': max(loop(0.5) for _ in range(3))}))
`

async function django(location: string, backend: string): Promise<number | undefined> {
  try {
    const { stdout } = await run('/usr/bin/python3', ['-c', PY, location, backend], { timeout: 60_000 })
    return (JSON.parse(stdout) as { opsPerSec: number }).opsPerSec
  } catch {
    return undefined
  }
}

export const suite: BenchSuite = {
  name: 'memcached',
  title: 'memcached backend (issue 3)',
  command: 'npm run bench -- memcached',
  async run(): Promise<Table[]> {
    const server = await MemcachedProcess.start({ memoryMb: 128 })
    const c = new MemcachedCache({ location: server.location, timeout: null })
    const mj = memjs.Client.create(server.location, { logger: { log() {} } } as never)
    try {
      for (let i = 0; i < N; i++) {
        await c.set(keys[i] as string, value(i))
        await mj.set(`mj-${i}`, value(i), {})
      }
      const tables: Table[] = []
      for (const conc of [1, 64]) {
        const get: Table = {
          title: `get (hit), concurrency ${conc}, ~90-byte strings`,
          rows: [
            { name: 'cachework memcached', opsPerSec: await rate((i) => c.get(keys[i % N] as string), conc) },
            { name: 'memjs 1.3.2', opsPerSec: await rate((i) => mj.get(`mj-${i % N}`), conc) },
          ],
        }
        get.notes = [check(get, 'cachework memcached', 'memjs 1.3.2', 0.9, 'cachework vs memjs')]
        const set: Table = {
          title: `set, concurrency ${conc}, ~90-byte strings`,
          rows: [
            {
              name: 'cachework memcached',
              opsPerSec: await rate((i) => c.set(keys[i % N] as string, value(i % N)), conc),
            },
            {
              name: 'memjs 1.3.2',
              opsPerSec: await rate((i) => mj.set(`mj-${i % N}`, value(i % N), {}), conc),
            },
          ],
        }
        set.notes = [check(set, 'cachework memcached', 'memjs 1.3.2', 0.9, 'cachework vs memjs')]
        tables.push(get, set)
      }
      const batches = Array.from({ length: N / BATCH }, (_, b) => keys.slice(b * BATCH, (b + 1) * BATCH))
      const mjBatches = batches.map((b) => b.map((k) => `mj-${k.slice(3)}`))
      const many: Table = {
        title: `getMany of ${BATCH} keys (calls/s)`,
        unit: 'getMany/s',
        baseline: 'memjs: 100 sequential gets',
        rows: [
          {
            name: 'cachework getMany(100)',
            opsPerSec: await measure((i) => c.getMany(batches[i % batches.length] as string[]), {
              ms: 1500,
              batch: 20,
            }),
          },
          {
            name: 'memjs: 100 sequential gets',
            opsPerSec: await measure(
              async (i) => {
                for (const k of mjBatches[i % mjBatches.length] as string[]) await mj.get(k)
              },
              { ms: 1500, batch: 5 },
            ),
          },
          {
            name: 'memjs: Promise.all of 100 gets',
            opsPerSec: await measure(
              (i) => Promise.all((mjBatches[i % mjBatches.length] as string[]).map((k) => mj.get(k))),
              {
                ms: 1500,
                batch: 10,
              },
            ),
          },
        ],
      }
      const lib = await django(server.location, 'django.core.cache.backends.memcached.PyLibMCCache')
      const pym = await django(server.location, 'django.core.cache.backends.memcached.PyMemcacheCache')
      if (lib !== undefined) many.rows.push({ name: 'Django 3.2 PyLibMCCache.get_many', opsPerSec: lib })
      if (pym !== undefined) many.rows.push({ name: 'Django 3.2 PyMemcacheCache.get_many', opsPerSec: pym })
      const target =
        lib !== undefined ? 'Django 3.2 PyLibMCCache.get_many' : 'Django 3.2 PyMemcacheCache.get_many'
      many.notes = [
        check(
          many,
          'cachework getMany(100)',
          'memjs: 100 sequential gets',
          14,
          'getMany vs sequential memjs',
        ),
        ...(lib !== undefined || pym !== undefined
          ? [check(many, 'cachework getMany(100)', target, 1, `getMany vs ${target}`)]
          : ['Django comparison not run: /usr/bin/python3 with Django and pylibmc/pymemcache not found']),
        'Python rows: one process timing its own loop (python3-pylibmc from `scripts/ensure-system.sh bench`).',
      ]
      tables.push(many)
      return tables
    } finally {
      mj.close()
      await c.close()
      await server.stop()
    }
  },
}
