import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { CacheUnavailableError, type CacheEvent, ImproperlyConfigured, createCaches } from '@cachework/core'
import { uniqueKey } from '@cachework/core/testing'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { type CacheModel, DatabaseCache } from '../src/db.ts'
import { runTs, supportFile } from './support/db-child.ts'

const dir = mkdtempSync(join(tmpdir(), 'cachework-dbx-'))
const file = (name = uniqueKey('db')) => join(dir, `${name}.sqlite3`)

describe('db backend specifics', () => {
  it('creates a table of Django shape with an index on expires, in WAL mode', async () => {
    const database = file()
    const c = new DatabaseCache({ location: 'my cache "table"', options: { database } })
    await c.set('k', { a: 1 })
    await c.close()
    const db = new Database(database, { readonly: true })
    const cols = db.prepare(`PRAGMA table_info("my cache ""table""")`).all() as Array<{
      name: string
      pk: number
    }>
    expect(cols.map((c) => c.name)).toEqual(['cache_key', 'value', 'expires'])
    expect(cols.find((c) => c.pk === 1)?.name).toBe('cache_key')
    const idx = db.prepare(`PRAGMA index_list("my cache ""table""")`).all() as Array<{ name: string }>
    expect(idx.map((i) => i.name)).toContain('my cache "table"_expires')
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    const row = db
      .prepare(`SELECT value, expires FROM "my cache ""table""" WHERE cache_key = ':1:k'`)
      .get() as {
      value: string
      expires: number
    }
    expect(typeof row.value).toBe('string')
    expect(row.expires).toBeGreaterThan(Date.now())
    db.close()
  })

  it('validates the table name and the db options', () => {
    expect(() => new DatabaseCache({ location: '' })).toThrow(ImproperlyConfigured)
    expect(() => new DatabaseCache({ location: 'bad\nname' })).toThrow(/control character/)
    expect(() => new DatabaseCache({ location: 'sqlite_x' })).toThrow(/reserved/)
    expect(() => new DatabaseCache({ location: 't', options: { databases: { other: 'x.db' } } })).toThrow(
      /'default'/,
    )
    expect(() => new DatabaseCache({ location: 't', options: { database: 1 } })).toThrow(ImproperlyConfigured)
    expect(() => new DatabaseCache({ location: 't', options: { router: { dbForRead: 'x' } } })).toThrow(
      /dbForRead must be a function/,
    )
  })

  it('defaults the database to cachework-cache.sqlite3 in the working directory', () => {
    const c = new DatabaseCache({ location: 't' })
    expect(c.files.get('default')).toBe(resolve('cachework-cache.sqlite3'))
  })

  it('is configured by name and by Django dotted path through the registry', async () => {
    const caches = createCaches({
      a: { backend: 'db', location: 'ta', options: { database: file() } },
      b: {
        BACKEND: 'django.core.cache.backends.db.DatabaseCache',
        LOCATION: 'tb',
        OPTIONS: { database: file() },
      },
    })
    expect(caches.get('a')).toBeInstanceOf(DatabaseCache)
    expect(caches.get('b')).toBeInstanceOf(DatabaseCache)
    await caches.closeAll()
  })

  it('reads a corrupt stored value as a miss and removes the row', async () => {
    const database = file()
    const c = new DatabaseCache({ location: 't', options: { database } })
    await c.set('k', 'fine')
    const db = new Database(database)
    db.prepare(`UPDATE t SET value = 'not devalue {{' WHERE cache_key = ':1:k'`).run()
    expect(await c.get('k', 'dflt')).toBe('dflt')
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 0 })
    db.close()
  })

  it('culls soonest-to-expire first and never-expiring rows last', async () => {
    const c = new DatabaseCache({
      location: 't',
      options: { database: file(), maxEntries: 6, cullFrequency: 3 },
    })
    await c.set('forever1', 1, null)
    await c.set('forever2', 2, null)
    for (let i = 0; i < 4; i++) await c.set(`t${i}`, i, 100 + i)
    await c.set('new', 1, 50)
    const keys = []
    for await (const e of c.entries()) keys.push(e.key)
    expect(keys.sort()).toEqual(['forever1', 'forever2', 't2', 't3', 'new'].sort())
  })

  it('answers a miss and emits error when the file cannot be opened, rejects writes, and recovers', async () => {
    const missingDir = join(dir, uniqueKey('later'))
    const c = new DatabaseCache({ location: 't', options: { database: join(missingDir, 'x.sqlite3') } })
    const errors: CacheEvent[] = []
    c.on('error', (e) => errors.push(e))
    expect(await c.get('k', 'dflt')).toBe('dflt')
    expect(await c.has('k')).toBe(false)
    expect(await c.getMany(['k'])).toEqual({})
    expect(errors.length).toBe(3)
    await expect(c.set('k', 1)).rejects.toBeInstanceOf(CacheUnavailableError)
    await expect(c.incr('k')).rejects.toBeInstanceOf(CacheUnavailableError)
    const lenient = new DatabaseCache({
      location: 't',
      options: { database: join(missingDir, 'x.sqlite3'), ignoreErrors: true },
    })
    expect(await lenient.set('k', 1)).toBe(false)
    mkdirSync(missingDir)
    expect(await c.set('k', 1)).toBe(true)
    expect(await c.get('k')).toBe(1)
  })

  it('reports a file that is not a database as unavailable', async () => {
    const bogus = file()
    const { writeFileSync } = await import('node:fs')
    writeFileSync(bogus, 'this is not a sqlite database, just some text that is long enough'.repeat(20))
    const c = new DatabaseCache({ location: 't', options: { database: bogus } })
    expect(await c.get('k')).toBeUndefined()
    await expect(c.set('k', 1)).rejects.toBeInstanceOf(CacheUnavailableError)
  })

  it('routes reads and writes like Django routers, and creates tables only where allowed', async () => {
    const primary = file('primary')
    const replica = file('replica')
    const seen: Array<[string, CacheModel]> = []
    const router = {
      dbForRead: (m: CacheModel) => {
        seen.push(['read', m])
        return 'replica'
      },
      dbForWrite: () => null, // falls back to 'default'
      allowMigrate: (db: string) => db === 'default',
    }
    const c = new DatabaseCache({
      location: 'routed',
      options: { databases: { default: primary, replica }, router },
    })
    expect(c.createTables()).toMatchObject([
      { database: 'default', status: 'created' },
      { database: 'replica', status: 'not-allowed' },
    ])
    expect(seen).toEqual([])
    await c.set('k', 'v')
    const p = new Database(primary)
    expect(p.prepare('SELECT COUNT(*) AS n FROM routed').get()).toEqual({ n: 1 })
    // The replica has no table (migrations not allowed there): reads miss with an error event.
    const errors: CacheEvent[] = []
    c.on('error', (e) => errors.push(e))
    expect(await c.get('k')).toBeUndefined()
    expect(errors[0]?.message).toMatch(/createcachetable/)
    expect(seen[0]).toEqual([
      'read',
      { appLabel: 'django_cache', modelName: 'CacheEntry', dbTable: 'routed' },
    ])
    // Copy the table to the replica ("replication"): reads now find the value there.
    const r = new Database(replica)
    r.exec(
      'CREATE TABLE routed (cache_key varchar(255) NOT NULL PRIMARY KEY, value text NOT NULL, expires integer NOT NULL)',
    )
    const row = p.prepare('SELECT * FROM routed').get() as {
      cache_key: string
      value: string
      expires: number
    }
    r.prepare('INSERT INTO routed VALUES (?, ?, ?)').run(row.cache_key, row.value, row.expires)
    expect(await c.get('k')).toBe('v')
    p.close()
    r.close()
    await c.close()
  })

  it('without its native binary, or without better-sqlite3 at all, a db cache is unavailable storage with a fix in the message', {
    timeout: 60_000,
  }, async () => {
    const fixes = {
      binary: /native binary could not be loaded.*npm rebuild better-sqlite3/s,
      package: /needs better-sqlite3.*npm install better-sqlite3/s,
    }
    const runs = await Promise.all(
      (['binary', 'package'] as const).map((mode) => runTs(supportFile('db-no-native.ts'), [mode])),
    )
    for (const [i, mode] of (['binary', 'package'] as const).entries()) {
      const r = runs[i] as { stdout: string; stderr: string }
      expect(r.stderr).toBe('')
      const out = JSON.parse(r.stdout)
      // Rule 15: a read misses (and reports), writes reject with CacheUnavailableError.
      expect(out.get).toEqual({ value: 'default' })
      for (const op of [out.set, out.incr]) {
        expect(op).toMatchObject({ name: 'CacheUnavailableError', code: 'ERR_CACHE_UNAVAILABLE' })
        expect(op.message).toMatch(fixes[mode])
      }
      expect(out.errors).toHaveLength(3)
    }
  })

  it('a router naming an unknown database is a configuration error', async () => {
    const c = new DatabaseCache({
      location: 't',
      options: { databases: { default: file() }, router: { dbForWrite: () => 'nope' } },
    })
    await expect(c.set('k', 1)).rejects.toThrow(/'nope'/)
  })

  it('four processes doing 10,000 incr each on one key in one file end at exactly 40,000', {
    timeout: 240_000,
  }, async () => {
    const database = file('shared')
    const c = new DatabaseCache({ location: 'counters', options: { database } })
    await c.set('n', 0, null)
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => runTs(supportFile('db-incr-worker.ts'), [database, 'counters', 'n', '10000'])),
    )
    for (const r of results) {
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      expect(JSON.parse(r.stdout)).toEqual({ errors: 0, messages: [] })
    }
    expect(await c.get('n')).toBe(40_000)
    await c.close()
  })
})
