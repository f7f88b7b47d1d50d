/**
 * The memcached suite's contenders, each built in its own process by bench/support/worker.ts.
 * Factories take `{ location, n, shape, op, conc, prefix }`: `n` keys with string values
 * ('small': ~100 bytes; '4k': 4 KiB) stored under the contender's own `prefix` on the suite's
 * memcached server, with the default timeout (300 s), then read, overwritten or multi-read (100
 * keys per call) in a fixed pseudo-random order; `conc` operations in flight per call.
 */
import { createCaches } from '@cachework/core'
import '@cachework/node'
import memjs from 'memjs'
import { shuffledOrder } from '../support/order.ts'
import type { Contender } from '../support/worker.ts'

interface Params {
  location: string
  n: number
  shape: 'small' | '4k'
  op: 'get' | 'set' | 'getMany' | 'getSeq' | 'getAll'
  conc: number
  prefix: string
}

/** Keys, values and a pseudo-random order (the same in every process, Python's aside). */
function fixture(p: Params) {
  const keys = Array.from({ length: p.n }, (_, i) => `${p.prefix}-${i}`)
  const pad = 'x'.repeat(p.shape === '4k' ? 4096 - 16 : 84)
  const value = (i: number) => `value-${String(i).padStart(8, '0')}-${pad}`
  const order = shuffledOrder(p.n)
  const keyAt = (i: number) => keys[order[i % p.n] as number] as string
  const batchAt = (i: number) => Array.from({ length: 100 }, (_, j) => keyAt(i * 100 + j))
  return { keys, value, keyAt, batchAt }
}

function contender(
  p: Params,
  get: (k: string) => Promise<unknown>,
  set: (k: string, v: string) => Promise<unknown>,
  many: (ks: string[]) => Promise<unknown>,
  close: () => unknown,
): Contender & { fill: () => Promise<void> } {
  const f = fixture(p)
  const one =
    p.op === 'get'
      ? (i: number) => get(f.keyAt(i))
      : p.op === 'set'
        ? (i: number) => set(f.keyAt(i), f.value(i % p.n))
        : p.op === 'getMany'
          ? (i: number) => many(f.batchAt(i))
          : p.op === 'getSeq'
            ? async (i: number) => {
                for (const k of f.batchAt(i)) await get(k)
              }
            : (i: number) => Promise.all(f.batchAt(i).map(get))
  const op =
    p.conc === 1
      ? one
      : (i: number) => Promise.all(Array.from({ length: p.conc }, (_, j) => one(i * p.conc + j)))
  const batch = p.op === 'get' || p.op === 'set' ? (p.conc === 1 ? 100 : 5) : 5
  const fill = async () => {
    for (let i = 0; i < p.n; i += 100) {
      await Promise.all(f.keys.slice(i, i + 100).map((k, j) => set(k, f.value(i + j))))
    }
  }
  return { op, batch, opsPerCall: p.conc, close, fill }
}

export async function cachework(p: Params): Promise<Contender> {
  const caches = createCaches({ default: { backend: 'memcached', location: p.location } })
  const c = caches.get('default')
  const r = contender(
    p,
    (k) => c.get(k),
    (k, v) => c.set(k, v),
    (ks) => c.getMany(ks),
    () => caches.closeAll(),
  )
  await r.fill()
  return r
}

export async function memjsClient(p: Params): Promise<Contender> {
  const mj = memjs.Client.create(p.location, { logger: { log() {} } } as never)
  const r = contender(
    p,
    (k) => mj.get(k),
    (k, v) => mj.set(k, v, { expires: 300 }),
    (ks) => Promise.all(ks.map((k) => mj.get(k))),
    () => mj.close(),
  )
  await r.fill()
  return r
}

/** Django's memcached backends (`params.backend`: PyLibMCCache or PyMemcacheCache), same fixture. */
export const DJANGO_MEMCACHED = `
import random, django
from django.conf import settings
settings.configure(CACHES={'default': {'BACKEND': 'django.core.cache.backends.memcached.' + params['backend'],
    'LOCATION': params['location'], 'KEY_PREFIX': params['prefix']}})
django.setup()
from django.core.cache import cache
n = params['n']
keys = ['%s-%d' % (params['prefix'], i) for i in range(n)]
pad = 'x' * ((4096 - 16) if params['shape'] == '4k' else 84)
val = lambda i: 'value-%08d-%s' % (i, pad)
for i in range(0, n, 100):
    cache.set_many({keys[j]: val(j) for j in range(i, min(n, i + 100))})
order = list(range(n))
random.Random(7).shuffle(order)
if params['op'] == 'getMany':
    def op(i):
        cache.get_many([keys[order[(i * 100 + j) % n]] for j in range(100)])
elif params['op'] == 'get':
    def op(i):
        cache.get(keys[order[i % n]])
else:
    def op(i):
        cache.set(keys[order[i % n]], val(i % n))
`
