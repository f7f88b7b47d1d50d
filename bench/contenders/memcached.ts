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
import { type KeyOp, keyFixture, keyOps } from '../support/key-ops.ts'
import type { Contender } from '../support/worker.ts'

interface Params {
  location: string
  n: number
  shape: 'small' | '4k'
  op: KeyOp
  conc: number
  prefix: string
}

function contender(
  p: Params,
  get: (k: string) => Promise<unknown>,
  set: (k: string, v: string) => Promise<unknown>,
  many: (ks: string[]) => Promise<unknown>,
  close: () => unknown,
): Contender & { fill: () => Promise<void> } {
  const { op, batch, fill } = keyOps(p, keyFixture(p.n, p.prefix, p.shape), { get, set, many })
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
