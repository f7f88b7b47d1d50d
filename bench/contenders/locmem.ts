/**
 * The locmem suite's contenders, each built in its own process by bench/support/worker.ts.
 * Every factory takes `{ n, shape, op, keys?, max?, distinct? }`: `n` keys `user:<i>` (or, with
 * `keys: 'long'`, Django's page-cache keys, `longKey`) filled with `shape` values ('object':
 * `{ id, name, tags: [3 strings] }`; 'string4k': a 4 KiB string),
 * stored with the default timeout users get (300 s, or the peer's equivalent), then read in a
 * fixed pseudo-random order over all `n` keys (so no contender is flattered by locality).
 */
import { createCaches } from '@cachework/core'
import { createHash } from 'node:crypto'
import { createCache } from 'cache-manager'
import { Keyv } from 'keyv'
import { LRUCache } from 'lru-cache'
import NodeCache from 'node-cache'
import { shuffledOrder } from '../support/order.ts'
import type { Contender } from '../support/worker.ts'

interface Params {
  n: number
  shape: 'object' | 'string4k'
  op: 'get' | 'set' | 'cull'
  keys?: 'short' | 'long'
  max?: number
  distinct?: number
}

const TTL_S = 300
const FOUR_K = 'x'.repeat(4096 - 8)

/**
 * `s` as its own flat string. A concatenation is a V8 cons string: every value would share one
 * 4,088-character part and be 4 KiB in name only (~40 bytes of memory each), where a user's
 * 4 KiB values (and Python's `filler + suffix` in the Django contender) each hold 4 KiB.
 */
function flat4k(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1')
}

/**
 * Key `i` in the shape of Django's page-cache keys (django-cache.md §3.7, `_generate_cache_key`):
 * `views.decorators.cache.cache_page..GET.<md5 of the URL>.<md5 of no headers>`, 104 UTF-16
 * units: past locmem's 16-unit index slots (locmem-store.ts `TABLE_KEY_MAX`), so these rows
 * measure the other path. DJANGO_LOCMEM builds the same strings.
 */
function longKey(i: number): string {
  const url = createHash('md5').update(`http://127.0.0.1/page/${i}`).digest('hex')
  return `views.decorators.cache.cache_page..GET.${url}.d41d8cd98f00b204e9800998ecf8427e`
}

/** The fixture: keys, a value maker and a pseudo-random read order (the same in every process). */
function fixture(p: Params) {
  const n = p.op === 'cull' ? (p.distinct ?? p.n) : p.n
  const keys = Array.from({ length: n }, (_, i) => (p.keys === 'long' ? longKey(i) : `user:${i}`))
  const value =
    p.shape === 'string4k'
      ? (i: number) => flat4k(`${FOUR_K}${String(i).padStart(8, '0')}`)
      : (i: number) => ({ id: i, name: `user ${i}`, tags: ['admin', 'beta', `group-${i % 10}`] })
  const order = shuffledOrder(n)
  const keyAt = (i: number) => keys[order[i % n] as number] as string
  return { n, keys, value, keyAt }
}

/** Build a contender from sync/async get and set functions. */
async function build(
  p: Params,
  set: (k: string, v: unknown) => unknown,
  get: (k: string) => unknown,
  close?: () => unknown,
): Promise<Contender> {
  const f = fixture(p)
  if (p.op !== 'cull') for (let i = 0; i < f.n; i++) await set(f.keys[i] as string, f.value(i))
  const v = f.value(1)
  const op =
    p.op === 'get'
      ? (i: number) => get(f.keyAt(i))
      : p.op === 'set'
        ? (i: number) => set(f.keyAt(i), v)
        : (i: number) => set(f.keys[i % f.n] as string, v)
  return { op, close }
}

export async function cachework(p: Params): Promise<Contender> {
  const caches = createCaches({
    default: {
      backend: 'locmem',
      location: 'bench',
      options: { maxEntries: p.op === 'cull' ? (p.max as number) : Math.max(300, p.n * 2) },
    },
  })
  const c = caches.get('default')
  return build(
    p,
    (k, v) => c.set(k, v),
    (k) => c.get(k),
  )
}

export async function cacheworkShared(p: Params): Promise<Contender> {
  const caches = createCaches({
    default: {
      backend: 'locmem',
      location: 'bench',
      options: { maxEntries: Math.max(300, p.n * 2), isolate: false },
    },
  })
  const c = caches.get('default')
  return build(
    p,
    (k, v) => c.set(k, v),
    (k) => c.get(k),
  )
}

/** node-cache as both of its rows build it: the default timeout, no background sweep. */
const NODE_CACHE_OPTIONS = { stdTTL: TTL_S, checkperiod: 0 }

export async function nodeCache(p: Params): Promise<Contender> {
  const nc = new NodeCache(NODE_CACHE_OPTIONS)
  return build(
    p,
    (k, v) => nc.set(k, v),
    (k) => nc.get(k),
  )
}

/**
 * node-cache called as cachework is: each get answered through a resolved promise, so both are
 * awaited. The target compares cachework's awaited get with node-cache's synchronous one
 * (the `nodeCache` row, which the bench does not await); this row is the like-for-like version of
 * that comparison, shown beside it, not in its place.
 */
export async function nodeCacheAwaited(p: Params): Promise<Contender> {
  const nc = new NodeCache(NODE_CACHE_OPTIONS)
  return build(
    p,
    (k, v) => nc.set(k, v),
    (k) => Promise.resolve(nc.get(k)),
  )
}

export async function cacheManager(p: Params): Promise<Contender> {
  const cm = createCache({ ttl: TTL_S * 1000 })
  return build(
    p,
    (k, v) => cm.set(k, v),
    (k) => cm.get(k),
  )
}

export async function keyv(p: Params): Promise<Contender> {
  const kv = new Keyv({ ttl: TTL_S * 1000 })
  return build(
    p,
    (k, v) => kv.set(k, v),
    (k) => kv.get(k),
  )
}

export async function lruCache(p: Params): Promise<Contender> {
  const lru = new LRUCache<string, object>({
    max: p.op === 'cull' ? (p.max as number) : p.n,
    ttl: TTL_S * 1000,
  })
  return build(
    p,
    (k, v) => lru.set(k, v as object),
    (k) => lru.get(k),
  )
}

export async function map(p: Params): Promise<Contender> {
  const m = new Map<string, unknown>()
  if (p.op !== 'cull')
    return build(
      p,
      (k, v) => m.set(k, v),
      (k) => m.get(k),
    )
  // FIFO eviction through a long-lived iterator: the floor for a bounded store.
  const max = p.max as number
  let it = m.keys()
  const put = (k: string, v: unknown) => {
    if (!m.has(k) && m.size >= max) {
      let r = it.next()
      if (r.done) {
        it = m.keys()
        r = it.next()
      }
      m.delete(r.value as string)
    }
    m.set(k, v)
  }
  return build(p, put, (k) => m.get(k))
}

/** The answer to a miss in the two rows below: one resolved promise, as a cache would keep. */
const UNDEFINED_ANSWER = Promise.resolve(undefined)

/**
 * The await alone: a bare Map of already-resolved promises, one made per set, so a get is a
 * `Map` look-up and nothing else (no key making, no expiry, no copy, nothing allocated per hit).
 * Every cachework get is async (docs/contract.md §2) and the bench awaits each call; sync peers
 * (node-cache, lru-cache, Map) do not pay that. Shown so a reader can tell the await's share from
 * ours. A reference, not a bound: a cache with its own table may look a key up faster than a
 * `Map` (an earlier version of this row made a promise per hit, and locmem, which keeps one per
 * primitive value, came out above it).
 */
export async function asyncMap(p: Params): Promise<Contender> {
  const m = new Map<string, Promise<unknown>>()
  return build(
    p,
    (k, v) => m.set(k, Promise.resolve(v)),
    (k) => m.get(k) ?? UNDEFINED_ANSWER,
  )
}

/**
 * `asyncMap` honouring a timeout the plain way: an entry object per key holding the promise and
 * the expiry, and one clock reading per hit (`Date.now()`, as node-cache's `get` and cachework's
 * real clock make). Also a reference, not a bound (its expiry is a heap number, one more memory
 * read per hit than locmem's small-integer coarse expiry).
 */
export async function asyncTtlMap(p: Params): Promise<Contender> {
  const m = new Map<string, { p: Promise<unknown>; e: number }>()
  const ttl = TTL_S * 1000
  return build(
    p,
    (k, v) => m.set(k, { p: Promise.resolve(v), e: Date.now() + ttl }),
    (k) => {
      const x = m.get(k)
      return x !== undefined && x.e > Date.now() ? x.p : UNDEFINED_ANSWER
    },
  )
}

/** Python statements for Django's LocMemCache with the same fixture (rounds.ts pythonContender). */
export const DJANGO_LOCMEM = `
import django
from django.conf import settings
settings.configure(CACHES={'default': {'BACKEND': 'django.core.cache.backends.locmem.LocMemCache',
    'LOCATION': 'bench', 'OPTIONS': {'MAX_ENTRIES': max(300, params['n'] * 2)}}})
django.setup()
from django.core.cache import cache
n = params['n']
if params.get('keys') == 'long':
    import hashlib
    keys = ['views.decorators.cache.cache_page..GET.%s.d41d8cd98f00b204e9800998ecf8427e'
            % hashlib.md5(('http://127.0.0.1/page/%d' % i).encode()).hexdigest() for i in range(n)]
else:
    keys = ['user:%d' % i for i in range(n)]
if params['shape'] == 'string4k':
    filler = 'x' * (4096 - 8)
    val = lambda i: filler + ('%08d' % i)
else:
    val = lambda i: {'id': i, 'name': 'user %d' % i, 'tags': ['admin', 'beta', 'group-%d' % (i % 10)]}
import random
order = list(range(n))
random.Random(7).shuffle(order)
for i in range(n):
    cache.set(keys[i], val(i))
v1 = val(1)
if params['op'] == 'get':
    def op(i):
        cache.get(keys[order[i % n]])
else:
    def op(i):
        cache.set(keys[order[i % n]], v1)
`
