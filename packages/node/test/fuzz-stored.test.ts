/**
 * Fuzzing what cachework reads from outside (issue 12, docs/security.md): anyone who can write
 * to the cache directory, the SQLite file or the store behind a page cache can put any bytes
 * there. Cache files, SQLite rows, stored pages and codec payloads are generated at random and
 * by mutating valid ones (fast-check, fixed seeds, bounded runs). Every read must be a miss, the
 * right value or a clean error, never a crash, a hang or code execution (a tripwire global and
 * `Object.prototype` are checked after each run).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Cache, createCaches, KeyNotFoundError } from '@cachework/core'
import { decodeValue, decodeValueBytes, encodeValue } from '@cachework/core/backend'
import { cacheHeaderKey, cachePage as fetchCachePage, pageCacheKey } from '@cachework/core/http'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { DatabaseCache } from '../src/db.ts'
import { FileBasedCache } from '../src/file.ts'
import { cacheMiddleware } from '../src/http.ts'

const root = mkdtempSync(join(tmpdir(), 'cachework-fuzz-'))
const g = globalThis as { __cacheworkPwned?: unknown }

afterEach(() => {
  // Nothing a payload says may run: no global set, no prototype touched.
  expect(g.__cacheworkPwned).toBeUndefined()
  expect(Object.keys(Object.prototype)).toEqual([])
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
})

/**
 * Valid payloads to mutate: a rich value, and strings that try to make a loader run code. The
 * error's stack is fixed: a real one names this file's path, so the payload's length (and so
 * what a fixed seed mutates) would depend on where the repository is checked out.
 */
const SAMPLE = {
  s: 'text',
  n: [1, -0, Number.NaN, 2n ** 70n],
  d: new Date(0),
  m: new Map([['k', new Set([1])]]),
  u: new Uint8Array([1, 2, 3]),
  e: Object.assign(new TypeError('x'), { stack: 'TypeError: x\n    at sample (fuzz-stored.test.ts)' }),
}
/** The codec's sample also holds an array with an own non-index property (its 'a' payload). */
const CODEC_SAMPLE = { ...SAMPLE, a: Object.assign([1, 2], { extra: 'e' }) }
const HOSTILE = [
  '{"__proto__":{"polluted":1}}',
  '[{"__proto__":1},{"polluted":2}]',
  '[["p",1],[["__proto__",2]],{"polluted":3}]',
  '[["Function","globalThis.__cacheworkPwned=1"]]',
  '[["e",1],["Function","x"]]',
  '[{"constructor":1},{"prototype":2}]',
  '[-7]',
  '[["a",1],[2,3,4],1,"__proto__",{"polluted":5},1]',
  '[["a",1],[2,3,2],5,"length"]',
  '[["a",1],[2,3,0],4294967295,"x"]',
  '[["a",0]]',
  '[[1,[0]]]',
]

/** Bytes: random, or a valid encoding with a few bytes flipped, cut or spliced. */
function mutated(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc
      .tuple(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }))
      .map(([flips]) => {
        const out = Uint8Array.from(valid)
        for (const [i, b] of flips) if (out.length > 0) out[i % out.length] = b
        return out
      }),
    fc.nat(valid.length).map((n) => valid.slice(0, n)),
    fc.tuple(fc.nat(valid.length), fc.uint8Array({ maxLength: 12 })).map(([at, ins]) => {
      const out = new Uint8Array(valid.length + ins.length)
      out.set(valid.slice(0, at))
      out.set(ins, at)
      out.set(valid.slice(at), at + ins.length)
      return out
    }),
  )
}

const enc = new TextEncoder()
const dec = new TextDecoder()

describe('fuzz: codec payloads', () => {
  it('decodeValue of random, hostile and mutated text returns a value or throws; it never runs code', () => {
    const valid = enc.encode(encodeValue(CODEC_SAMPLE))
    const text = fc.oneof(
      fc.constantFrom(...HOSTILE),
      fc.string({ unit: 'binary', maxLength: 80 }),
      mutated(valid).map((b) => dec.decode(b)),
      fc.json(),
    )
    let decoded = 0
    fc.assert(
      fc.property(text, (t) => {
        try {
          const v = decodeValue(t)
          decoded++
          if (typeof v === 'object' && v !== null)
            expect(Object.getPrototypeOf(v)).not.toBe(Function.prototype)
        } catch (e) {
          // A clean error: an Error object, never something a payload chose.
          expect(e).toBeInstanceOf(Error)
        }
        expect(g.__cacheworkPwned).toBeUndefined()
      }),
      { numRuns: 600, seed: 20261211 },
    )
    expect(decoded).toBeGreaterThan(0)
    for (const h of HOSTILE) {
      try {
        decodeValueBytes(enc.encode(h))
      } catch {
        // refused: fine
      }
    }
  })
})

describe('fuzz: cache files', () => {
  it('a .djcache file replaced by random or mutated bytes reads as a miss or its value; nothing throws from a read', async () => {
    const dir = join(root, 'files')
    const c = new FileBasedCache({ location: dir, options: { maxEntries: 10_000 } })
    await c.set('seed', SAMPLE, null)
    const [name] = readdirSync(dir).filter((f) => f.endsWith('.djcache'))
    const valid = readFileSync(join(dir, name as string))
    let hits = 0
    await fc.assert(
      fc.asyncProperty(mutated(valid), async (bytes) => {
        await c.set('k', SAMPLE, null)
        const file = readdirSync(dir).filter((f) => f.endsWith('.djcache'))
        for (const f of file) writeFileSync(join(dir, f), bytes)
        const got = await c.get('k', 'miss')
        if (got !== 'miss') {
          hits++
          expect(got).toStrictEqual(SAMPLE)
        }
        expect(typeof (await c.has('k'))).toBe('boolean')
        expect(typeof (await c.getMany(['k', 'seed']))).toBe('object')
        for await (const e of c.entries()) expect(e.rawKey).toBeTypeOf('string')
        await c
          .incr('k')
          .catch((e) => expect([KeyNotFoundError, TypeError].some((k) => e instanceof k)).toBe(true))
        expect(typeof (await c.touch('k', 60))).toBe('boolean')
        await c.delete('k')
      }),
      { numRuns: 120, seed: 20261212 },
    )
    // Some mutations leave the value intact (a cut after the end, a byte set to itself).
    expect(hits).toBeLessThan(120)
  })
})

describe('fuzz: SQLite rows', () => {
  it('rows with random or mutated value text and any expires read as a miss or as exactly what the row holds', async () => {
    const database = join(root, 'rows.sqlite3')
    const c = new DatabaseCache({ location: 'fuzz', options: { database, maxEntries: 10_000 } })
    await c.set('k', SAMPLE, null)
    const w = new Database(database)
    const raw = ':1:k'
    const validText = enc.encode(
      (w.prepare('SELECT value FROM fuzz WHERE cache_key = ?').get(raw) as { value: string }).value,
    )
    const update = w.prepare('INSERT OR REPLACE INTO fuzz (cache_key, value, expires) VALUES (?, ?, ?)')
    const expires = fc.oneof(
      fc.constant(253_402_300_799_999),
      fc.integer(),
      fc.double(),
      fc.constant(null),
      fc.string({ maxLength: 6 }),
    )
    await fc.assert(
      fc.asyncProperty(mutated(validText), expires, fc.boolean(), async (bytes, exp, asBlob) => {
        try {
          update.run(raw, asBlob ? Buffer.from(bytes) : dec.decode(bytes), exp as number)
        } catch {
          return // a row SQLite itself refuses (NOT NULL) cannot be in the table
        }
        const held = (w.prepare('SELECT value FROM fuzz WHERE cache_key = ?').get(raw) as { value: unknown })
          .value
        const got = await c.get('k', 'miss')
        // A row keeps no checksum: a flipped byte inside a string or a key name is another valid
        // value, read as such. What must hold: a row that does not decode is a miss (never a
        // throw, nor some other value), and one that does reads as exactly what it encodes.
        if (got !== 'miss') expect(got).toStrictEqual(decodeValue(String(held)))
        expect(typeof (await c.has('k'))).toBe('boolean')
        await c.getMany(['k'])
        for await (const e of c.entries()) expect(e.rawKey).toBeTypeOf('string')
        await c
          .incr('k')
          .catch((e) => expect([KeyNotFoundError, TypeError].some((k) => e instanceof k)).toBe(true))
      }),
      { numRuns: 120, seed: 20261213 },
    )
    w.close()
    await c.close()
  })
})

describe('fuzz: stored pages', () => {
  const registry = createCaches({ default: { backend: 'locmem', location: `fuzz-pages-${process.pid}` } })
  const cache: Cache = registry.get('default')
  afterAll(() => registry.closeAll())

  it('a page cache serving random and mutated stored pages never crashes: each answer is the page or the view', async () => {
    let views = 0
    const server = createServer(
      cacheMiddleware({ alias: cache })((_req, res) => {
        views++
        res.setHeader('cache-control', 'no-store')
        res.end('fresh')
      }),
    )
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const request = new Request(`${base}/p`)
    const weird = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.constantFrom('OK\r\nX-Evil: 1', 'a\0b', 'é', '', ' '),
    )
    const header = fc.tuple(
      fc.oneof(fc.constantFrom('x-a', 'set-cookie', 'content-length', 'bad name'), weird),
      weird,
    )
    const page = fc.record(
      {
        status: fc.oneof(fc.integer({ min: -5, max: 1200 }), fc.double(), fc.constant('200' as unknown)),
        statusText: fc.oneof(weird, fc.anything()),
        headers: fc.oneof(fc.array(header, { maxLength: 4 }), fc.anything()),
        body: fc.oneof(fc.uint8Array({ maxLength: 16 }), fc.string(), fc.anything()),
        storedAt: fc.oneof(fc.constant(Date.now()), fc.double(), fc.anything()),
      },
      { requiredKeys: [] },
    )
    let served = 0
    await fc.assert(
      fc.asyncProperty(
        page,
        fc.oneof(fc.constant([] as unknown), fc.array(weird, { maxLength: 2 }), fc.anything()),
        async (p, vary) => {
          await cache.set(cacheHeaderKey(request), vary, 60)
          let pageKey: string
          try {
            pageKey = pageCacheKey(request, 'GET', Array.isArray(vary) ? (vary as string[]) : [])
          } catch {
            pageKey = pageCacheKey(request, 'GET', [])
          }
          await cache.set(pageKey, p, 60)
          const before = views
          const r = await fetch(`${base}/p`)
          const body = await r.text()
          if (views === before) {
            served++
            expect(r.status).toBe(p.status)
          } else expect(body).toBe('fresh')
          await cache.clear()
        },
      ),
      { numRuns: 80, seed: 20261214 },
    )
    // The server is still up and sane.
    expect(await (await fetch(`${base}/p`)).text()).toBe('fresh')
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
    expect(served).toBeLessThan(80)
  })

  it("core's Fetch engine (Hono, the service worker) serving the same stored pages never rejects", async () => {
    let views = 0
    const handler = fetchCachePage(60, { cache })(async () => {
      views++
      return new Response('fresh', { headers: { 'cache-control': 'no-store' } })
    })
    const request = new Request('http://127.0.0.1:9/f')
    const weird = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.constantFrom('OK\r\nX-Evil: 1', 'a\0b', ''),
    )
    const page = fc.record(
      {
        status: fc.oneof(fc.integer({ min: -5, max: 1200 }), fc.anything()),
        statusText: fc.oneof(weird, fc.anything()),
        headers: fc.oneof(fc.array(fc.tuple(weird, weird), { maxLength: 3 }), fc.anything()),
        body: fc.oneof(fc.uint8Array({ maxLength: 16 }), fc.anything()),
        storedAt: fc.oneof(fc.constant(Date.now()), fc.anything()),
      },
      { requiredKeys: [] },
    )
    await fc.assert(
      fc.asyncProperty(
        page,
        fc.oneof(fc.constant([] as unknown), fc.array(weird, { maxLength: 2 }), fc.anything()),
        async (p, vary) => {
          await cache.set(cacheHeaderKey(request), vary, 60)
          await cache.set(pageCacheKey(request, 'GET', []), p, 60)
          const before = views
          const r = await handler(request.clone())
          if (views !== before) expect(await r.text()).toBe('fresh')
          else expect(r.status).toBe(p.status)
          await cache.clear()
        },
      ),
      { numRuns: 80, seed: 20261215 },
    )
  })
})
