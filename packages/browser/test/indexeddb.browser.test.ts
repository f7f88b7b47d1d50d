import { CacheUnavailableError, createCaches } from '@cachework/core'
import '../src/localforage.ts'
import { cacheConformanceSuite, uniqueKey } from '@cachework/core/testing'
import { openDB } from 'idb'
import { describe, expect, it } from 'vitest'
import { IndexedDBCache } from '../src/indexeddb.ts'

// docs/contract.md §2 over a real IndexedDB in headless Chromium, a fresh database per cache. The first
// operation creates the database, which can take a few hundred ms on a loaded machine, hence a
// short timeout longer than the default 0.2 s. The quota test is in tests/e2e/browser-tabs.spec.ts:
// it needs a browser context whose quota is lowered before IndexedDB is first used.
cacheConformanceSuite('indexeddb', {
  create: (o) => new IndexedDBCache({ location: uniqueKey('idb'), ...o }),
  cullOrder: 'lru',
  shortTimeout: 0.5,
  expiryWaitMs: 1000,
  clock: 'fake',
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function versionOf(name: string): Promise<number> {
  const dbs = await indexedDB.databases()
  return dbs.find((d) => d.name === name)?.version ?? 0
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms
  for (;;) {
    const v = await fn().catch((e) => e as T)
    if (ok(v) || Date.now() > until) return v
    await sleep(100)
  }
}

describe('indexeddb: version changes and blocked upgrades', () => {
  it('closes for a newer version opened elsewhere, then reopens at that version', async () => {
    const name = uniqueKey('idb-vc')
    const c = new IndexedDBCache({ location: name })
    await c.set('a', 1)
    const v = await versionOf(name)
    // Resolves only because the cache closes its connection on `versionchange` (idb `blocking`).
    const other = await openDB(name, v + 1, { upgrade: (db) => void db.createObjectStore('other') })
    expect(await c.get('a')).toBe(1)
    await c.set('b', 2)
    expect(await c.getMany(['a', 'b'])).toEqual({ a: 1, b: 2 })
    other.close()
  })

  it('recreates its store when a newer version dropped it, and when the database was deleted', async () => {
    const name = uniqueKey('idb-drop')
    const c = new IndexedDBCache({ location: name })
    await c.set('a', 1)
    const other = await openDB(name, (await versionOf(name)) + 1, {
      upgrade: (db) => db.deleteObjectStore('entries'),
    })
    other.close()
    expect(await c.get('a')).toBeUndefined()
    expect(await c.set('a', 2)).toBe(true)
    expect(await c.get('a')).toBe(2)
    await new Promise<void>((resolve, reject) => {
      const r = indexedDB.deleteDatabase(name)
      r.onsuccess = () => resolve()
      r.onerror = () => reject(r.error)
    })
    expect(await c.get('a')).toBeUndefined()
    expect(await c.incr('a').catch((e: Error) => e.name)).toBe('KeyNotFoundError')
    await c.set('a', 3)
    expect(await c.incr('a')).toBe(4)
  })

  it('answers misses and refuses writes while an older connection blocks its upgrade, then recovers (rule 15)', async () => {
    const name = uniqueKey('idb-blocked')
    // Someone else's database of the same name, at version 1, without our store, held open by
    // a connection that ignores `versionchange`: our upgrade to version 2 is blocked.
    const foreign = await openDB(name, 1, { upgrade: (db) => void db.createObjectStore('theirs') })
    const c = new IndexedDBCache({ location: name, options: { timeoutMs: 300 } })
    const quiet = new IndexedDBCache({ location: name, options: { timeoutMs: 300, ignoreErrors: true } })
    const errors: string[] = []
    c.on('error', (e) => errors.push(String((e as { message?: string }).message)))
    expect(await c.get('k', 'dflt')).toBe('dflt')
    expect(await c.has('k')).toBe(false)
    await expect(c.set('k', 1)).rejects.toBeInstanceOf(CacheUnavailableError)
    expect(await quiet.set('k', 1)).toBe(false)
    expect(errors.length).toBeGreaterThan(0)
    foreign.close()
    expect(
      await eventually(
        () => c.set('k', 1),
        (ok) => ok === true,
      ),
    ).toBe(true)
    expect(await c.get('k')).toBe(1)
    expect(await quiet.get('k')).toBe(1)
    expect(await versionOf(name)).toBe(2)
  })
})

describe('indexeddb: values IndexedDB cannot clone', () => {
  it('rejects an uncloneable value with TypeError and stores nothing of a setMany', async () => {
    const c = new IndexedDBCache({ location: uniqueKey('idb-clone') })
    // @ts-expect-error a method inside: refused by the type too
    await expect(c.set('f', { nested: { f() {} } })).rejects.toBeInstanceOf(TypeError)
    // @ts-expect-error a function among many: refused by the type too
    await expect(c.setMany({ a: 1, b: () => 2, c: 3 })).rejects.toBeInstanceOf(TypeError)
    expect(await c.getMany(['a', 'b', 'c'])).toEqual({})
  })
})

describe('indexeddb: atomicity and single flight', () => {
  it('loses no increment among 200 concurrent incr', async () => {
    // 200 queued readwrite transactions can take seconds on a loaded machine: no rule 15 timeout here.
    const c = new IndexedDBCache({ location: uniqueKey('idb-incr'), options: { timeoutMs: 30_000 } })
    await c.set('n', 0)
    await Promise.all(Array.from({ length: 200 }, () => c.incr('n')))
    expect(await c.get('n')).toBe(200)
  })

  it('loses no increment between two caches on one database (two tabs in miniature)', async () => {
    const name = uniqueKey('idb-incr2')
    const a = new IndexedDBCache({ location: name, options: { timeoutMs: 30_000 } })
    const b = new IndexedDBCache({ location: name, options: { timeoutMs: 30_000 } })
    await a.set('n', 0)
    await Promise.all([
      ...Array.from({ length: 100 }, () => a.incr('n')),
      ...Array.from({ length: 100 }, () => b.decr('n', -2)),
    ])
    expect(await b.get('n')).toBe(300)
  })

  it('runs a getOrSet factory once for two caches on one database (Web Locks)', async () => {
    const name = uniqueKey('idb-gos')
    const a = new IndexedDBCache({ location: name })
    const b = new IndexedDBCache({ location: name })
    let calls = 0
    const factory = async () => {
      calls++
      await sleep(50)
      return { n: calls }
    }
    const got = await Promise.all([
      a.getOrSet('k', factory),
      b.getOrSet('k', factory),
      a.getOrSet('k', factory),
    ])
    expect(calls).toBe(1)
    expect(got).toEqual([{ n: 1 }, { n: 1 }, { n: 1 }])
  })

  it('writes last uses from reads on close, so LRU order survives a reopen', async () => {
    const name = uniqueKey('idb-lru')
    const c = new IndexedDBCache({ location: name, options: { maxEntries: 3, cullFrequency: 3 } })
    for (const k of ['x', 'y', 'z']) await c.set(k, k)
    await c.get('x')
    await c.close()
    const d = new IndexedDBCache({ location: name, options: { maxEntries: 3, cullFrequency: 3 } })
    await d.set('w', 'w')
    expect(Object.keys(await d.getMany(['w', 'x', 'y', 'z'])).sort()).toEqual(['w', 'x', 'z'])
  })
})

describe('indexeddb: registry and inspection', () => {
  it('is configured by name, and by its localforage sibling, through the registry', async () => {
    const name = uniqueKey('idb-reg')
    const reg = createCaches({
      a: { backend: 'indexeddb', location: name, timeout: 60 },
      b: { BACKEND: 'localforage', LOCATION: name, OPTIONS: { storeName: 'other' } },
    })
    const a = reg.get('a')
    expect(a).toBeInstanceOf(IndexedDBCache)
    expect((a as IndexedDBCache).dbName).toBe(name)
    await a.set('k', new Map([[1, 'one']]))
    expect(await a.get('k')).toEqual(new Map([[1, 'one']]))
    await reg.get('b').set('k', 'lf')
    expect(await reg.get('b').get('k')).toBe('lf')
    await reg.closeAll()
  })

  it('culls a setMany batch once, keeping the whole batch', async () => {
    const c = new IndexedDBCache({
      location: uniqueKey('idb-batch'),
      options: { maxEntries: 10, cullFrequency: 2 },
    })
    for (let i = 0; i < 10; i++) await c.set(`old${i}`, i)
    expect(await c.setMany({ new0: 0, new1: 1, new2: 2 })).toEqual([])
    const keys = Object.keys(
      await c.getMany([...Array.from({ length: 10 }, (_, i) => `old${i}`), 'new0', 'new1', 'new2']),
    )
    expect(keys.filter((k) => k.startsWith('new')).sort()).toEqual(['new0', 'new1', 'new2'])
    expect(keys.filter((k) => k.startsWith('old')).length).toBe(5)
  })

  it('lists more entries than one page of entries() (500), each once', async () => {
    const c = new IndexedDBCache({
      location: uniqueKey('idb-many'),
      options: { maxEntries: 5000, timeoutMs: 30_000 },
    })
    const all: Record<string, number> = {}
    for (let i = 0; i < 1234; i++) all[`e${i}`] = i
    expect(await c.setMany(all)).toEqual([])
    const seen = new Set<string>()
    for await (const e of c.entries()) seen.add(e.key as string)
    expect(seen.size).toBe(1234)
    let n = 0
    for await (const _ of c.entries({ prefix: 'e12', limit: 5 })) n++
    expect(n).toBe(5)
  })
})

describe('indexeddb: insert leases (set without reading the old entry, rule 11 kept)', () => {
  async function rawCount(name: string): Promise<number> {
    const db = await openDB(name)
    try {
      return await db.count('entries')
    } finally {
      db.close()
    }
  }

  it('never grows past maxEntries when another cache on the database holds an unused lease', async () => {
    const name = uniqueKey('idb-lease')
    const init = { location: name, timeout: null, options: { maxEntries: 40 } }
    const a = new IndexedDBCache(init)
    const b = new IndexedDBCache(init)
    await a.set('a0', 0) // the checked path: `a` now holds a lease on most of the room
    for (let i = 0; i < 60; i++) await b.set(`b${i}`, i) // `b` fills the store, culling as it goes
    let peak = 0
    for (let i = 1; i < 20; i++) {
      await a.set(`a${i}`, i) // under its lease `a` stores without looking
      peak = Math.max(peak, await rawCount(name))
    }
    expect(peak).toBeLessThanOrEqual(40)
    expect(await a.get('a19')).toBe(19)
    expect(await b.get('b59')).toBe(59)
    await Promise.all([a.close(), b.close()])
  })

  it('counts another holder’s unexpired lease as occupied, and drops an expired one', async () => {
    const name = uniqueKey('idb-ghost')
    const c = new IndexedDBCache({ location: name, timeout: null, options: { maxEntries: 20 } })
    await c.set('first', 0)
    const db = await openDB(name)
    await db.put('leases', { tab: 'ghost', n: 10, until: Date.now() + 60_000 })
    let peak = 0
    for (let i = 0; i < 30; i++) {
      await c.set(`k${i}`, i)
      peak = Math.max(peak, await db.count('entries'))
    }
    expect(peak).toBeLessThanOrEqual(10) // the ghost may still store 10 without looking
    expect(await c.get('k29')).toBe(29)
    await db.put('leases', { tab: 'ghost', n: 10, until: Date.now() - 60_000 })
    for (let i = 30; i < 60; i++) {
      await c.set(`k${i}`, i)
      peak = Math.max(peak, await db.count('entries'))
    }
    expect(peak).toBeGreaterThan(10)
    expect(peak).toBeLessThanOrEqual(20)
    expect(await db.get('leases', 'ghost')).toBeUndefined()
    db.close()
    await c.close()
  })
})
