/**
 * The db and file suites' contenders, each built in its own process by bench/support/worker.ts.
 * Factories take `{ n, op, dir }`: `n` keys `user:<i>` with small object values, stored with the
 * default timeout (300 s) under `dir` (the suite's temp directory; each contender its own file or
 * folder), then read or overwritten in a fixed pseudo-random order over all `n` keys.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { createCaches } from '@cachework/core'
import '@cachework/node'
import { shuffledOrder } from '../support/order.ts'
import type { Contender } from '../support/worker.ts'

interface Params {
  n: number
  op: 'get' | 'set'
  dir: string
}

/** Keys, values and a pseudo-random order shared by every contender (and the Python ones). */
export function storageFixture(n: number) {
  const keys = Array.from({ length: n }, (_, i) => `user:${i}`)
  const value = (i: number) => ({ id: i, name: `user ${i}`, tags: ['admin', 'beta', `group-${i % 10}`] })
  const order = shuffledOrder(n)
  return { keys, value, keyAt: (i: number) => keys[order[i % n] as number] as string }
}

async function build(
  p: Params,
  set: (k: string, v: unknown, i: number) => unknown,
  get: (k: string) => unknown,
  batch: number,
  close?: () => unknown,
): Promise<Contender> {
  const f = storageFixture(p.n)
  for (let i = 0; i < p.n; i++) await set(f.keys[i] as string, f.value(i), i)
  const op = p.op === 'get' ? (i: number) => get(f.keyAt(i)) : (i: number) => set(f.keyAt(i), f.value(i), i)
  return { op, batch, close }
}

export async function cacheworkDb(p: Params): Promise<Contender> {
  const caches = createCaches({
    default: {
      backend: 'db',
      location: 'bench_cache',
      options: { database: join(p.dir, 'cachework.sqlite3'), maxEntries: p.n * 2 },
    },
  })
  const c = caches.get('default')
  return build(
    p,
    (k, v) => c.set(k, v),
    (k) => c.get(k),
    100,
    () => caches.closeAll(),
  )
}

/** Raw better-sqlite3: prepared statements on the same file settings, JSON, the expiry checked. */
export async function rawSqlite(p: Params): Promise<Contender> {
  const db = new Database(join(p.dir, 'raw.sqlite3'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec(
    'CREATE TABLE IF NOT EXISTS raw (cache_key varchar(255) NOT NULL PRIMARY KEY, value text NOT NULL, expires integer NOT NULL)',
  )
  const get = db.prepare<[string], { value: string; expires: number }>(
    'SELECT value, expires FROM raw WHERE cache_key = ?',
  )
  const put = db.prepare<[string, string, number]>(
    'INSERT INTO raw (cache_key, value, expires) VALUES (?, ?, ?) ON CONFLICT (cache_key) DO UPDATE SET value = excluded.value, expires = excluded.expires',
  )
  return build(
    p,
    (k, v) => put.run(k, JSON.stringify(v), Date.now() + 300_000),
    (k) => {
      const r = get.get(k)
      return r && r.expires > Date.now() ? JSON.parse(r.value) : undefined
    },
    100,
    () => db.close(),
  )
}

export async function cacheworkFile(p: Params): Promise<Contender> {
  const caches = createCaches({
    default: { backend: 'file', location: join(p.dir, 'cachework'), options: { maxEntries: p.n * 2 } },
  })
  const c = caches.get('default')
  return build(
    p,
    (k, v) => c.set(k, v),
    (k) => c.get(k),
    100,
    () => caches.closeAll(),
  )
}

/** The least a safe file cache does: JSON, one file per key, atomic temp-and-rename writes. */
export async function rawFiles(p: Params): Promise<Contender> {
  const dir = join(p.dir, 'raw')
  mkdirSync(dir, { recursive: true })
  let seq = 0
  const name = (k: string) => join(dir, `${k.replace(':', '_')}.json`)
  return build(
    p,
    (k, v) => {
      const tmp = join(dir, `tmp-${seq++}`)
      writeFileSync(tmp, JSON.stringify(v), { mode: 0o600, flag: 'wx' })
      renameSync(tmp, name(k))
    },
    (k) => JSON.parse(readFileSync(name(k), 'utf8')) as unknown,
    100,
  )
}

const PY_FIXTURE = `
import random
n = params['n']
keys = ['user:%d' % i for i in range(n)]
val = lambda i: {'id': i, 'name': 'user %d' % i, 'tags': ['admin', 'beta', 'group-%d' % (i % 10)]}
order = list(range(n))
random.Random(7).shuffle(order)
`
const PY_OPS = `
for i in range(n):
    cache.set(keys[i], val(i))
if params['op'] == 'get':
    def op(i):
        cache.get(keys[order[i % n]])
else:
    def op(i):
        k = order[i % n]
        cache.set(keys[k], val(k))
`

/** Django's DatabaseCache on its own SQLite file (WAL, synchronous=NORMAL), timeout 300 s. */
export const DJANGO_DB = `
import os, django
from django.conf import settings
settings.configure(
    DATABASES={'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': os.path.join(params['dir'], 'django.sqlite3')}},
    CACHES={'default': {'BACKEND': 'django.core.cache.backends.db.DatabaseCache', 'LOCATION': 'bench_cache',
                        'OPTIONS': {'MAX_ENTRIES': params['n'] * 2}}})
django.setup()
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
call_command('createcachetable', verbosity=0)
with connection.cursor() as c:
    c.execute('PRAGMA journal_mode=WAL')
    c.execute('PRAGMA synchronous=NORMAL')
${PY_FIXTURE}${PY_OPS}`

/** Django's FileBasedCache in its own directory, timeout 300 s. */
export const DJANGO_FILE = `
import os, django
from django.conf import settings
settings.configure(CACHES={'default': {'BACKEND': 'django.core.cache.backends.filebased.FileBasedCache',
    'LOCATION': os.path.join(params['dir'], 'django'), 'OPTIONS': {'MAX_ENTRIES': params['n'] * 2}}})
django.setup()
from django.core.cache import cache
${PY_FIXTURE}${PY_OPS}`
