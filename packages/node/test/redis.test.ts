/**
 * What the redis backend adds to the shared suite (docs/contract.md rule 19): its location forms,
 * Django's integer convention against `redis-cli`, pickles as misses, prefix-scoped `clear()`
 * (and `FLUSHDB` on request), one `MGET`/`UNLINK` per call, a caller's own client, and `incr`
 * atomic across processes.
 */
import { rmSync } from 'node:fs'
import { CacheUnavailableError, createCaches, ImproperlyConfigured } from '@cachework/core'
import { leaseKeyFor } from '@cachework/core/backend'
import { uniqueKey } from '@cachework/core/testing'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisCache } from '../src/redis.ts'
import { parseRedisLocation } from '../src/redis-location.ts'
import { CODEC_TAG } from '../src/redis-values.ts'
import { bundleTs, runJs, supportFile } from './support/db-child.ts'
import { untilWritable } from './support/redis-conformance.ts'
import { RedisProcess, waitFor } from './support/redis-server.ts'

describe('redis location', () => {
  it('parses redis://, rediss:// and unix:// URLs, lists and ;/, separated strings', () => {
    const servers = parseRedisLocation(
      'a',
      'redis://u:p%40ss@10.0.0.1:6380/2; rediss://h2 ,unix:///tmp/r.sock?db=3',
    )
    expect(servers).toEqual([
      {
        name: '10.0.0.1:6380',
        host: '10.0.0.1',
        port: 6380,
        tls: false,
        username: 'u',
        password: 'p@ss',
        db: 2,
      },
      {
        name: 'h2:6379',
        host: 'h2',
        port: 6379,
        tls: true,
        username: undefined,
        password: undefined,
        db: undefined,
      },
      {
        name: '/tmp/r.sock',
        path: '/tmp/r.sock',
        tls: false,
        username: undefined,
        password: undefined,
        db: 3,
      },
    ])
    expect(parseRedisLocation('a', ['redis://[::1]:7000', 'redis://[::1]:7000']).map((s) => s.name)).toEqual([
      '[::1]:7000',
    ])
  })
  it("takes db, username and password from options unless the URL has its own (redis-py's from_url)", () => {
    const d = { db: 5, username: 'app', password: 'secret' }
    expect(parseRedisLocation('a', 'redis://127.0.0.1:1', d)[0]).toMatchObject(d)
    expect(parseRedisLocation('a', 'redis://me:pw@127.0.0.1:1/1', d)[0]).toMatchObject({
      db: 1,
      username: 'me',
      password: 'pw',
    })
  })
  it('rejects other schemes, bad database numbers and an empty location, naming the alias', () => {
    for (const bad of ['127.0.0.1:6379', 'http://h:1', 'redis://h:1/x', 'unix://relative', '', ' ; ']) {
      expect(() => parseRedisLocation('pages', bad)).toThrow(/CACHES\['pages'\]\.location/)
    }
  })
  it("is configured by name or by Django's dotted path, and validates its options", () => {
    const r = createCaches({
      a: { backend: 'redis', location: 'redis://127.0.0.1:1' },
      b: { BACKEND: 'django.core.cache.backends.redis.RedisCache', LOCATION: 'redis://127.0.0.1:1' },
    })
    expect(r.get('a')).toBeInstanceOf(RedisCache)
    expect(r.get('b')).toBeInstanceOf(RedisCache)
    expect(() =>
      // @ts-expect-error clear is 'prefix' | 'flushdb' in the types too
      createCaches({ a: { backend: 'redis', location: 'redis://h:1', options: { clear: 'all' } } }),
    ).toThrow(ImproperlyConfigured)
    expect(() =>
      createCaches({ a: { backend: 'redis', location: 'redis://h:1', options: { db: -1 } } }),
    ).toThrow(/options: db must be an integer/)
  })
})

/** One redis-server for the whole file; every test has its own key prefix. */
let server: RedisProcess
beforeAll(async () => {
  server = await RedisProcess.start({ unixSocket: true })
})
afterAll(async () => {
  await server?.stop()
})

describe('redis backend on a real server', () => {
  const made: RedisCache[] = []
  const make = (o: Record<string, unknown> = {}, prefix = uniqueKey('p')) => {
    const c = new RedisCache({ location: server.url, keyPrefix: prefix, options: { timeoutMs: 5000, ...o } })
    made.push(c)
    return c
  }
  const calls = async (cmd: string) =>
    Number(/calls=(\d+)/.exec((await server.info('commandstats')).get(`cmdstat_${cmd}`) ?? '')?.[1] ?? 0)

  afterAll(async () => {
    await Promise.all(made.map((c) => c.close()))
  })

  it("stores integers as decimal text (Django's convention): redis-cli reads them and incr works on them", async () => {
    const c = make()
    await untilWritable(c)
    await c.set('n', 41)
    expect(await server.cli('GET', c.makeKey('n'))).toBe('41')
    await server.cli('SET', c.makeKey('fromcli'), '1000')
    expect(await c.get('fromcli')).toBe(1000)
    expect(await c.incr('fromcli', 5)).toBe(1005)
    expect(await server.cli('GET', c.makeKey('fromcli'))).toBe('1005')
    await server.cli('SET', c.makeKey('big'), '123456789012345678')
    expect(await c.get('big')).toBe(123456789012345678n)
    // Plain strings are stored as themselves; strings that look like integers are not.
    await c.set('s', 'hello')
    expect(await server.cli('GET', c.makeKey('s'))).toBe('hello')
    await c.set('digits', '42')
    expect(await c.get('digits')).toBe('42')
    expect((await server.cli('GET', c.makeKey('digits'))).startsWith(CODEC_TAG.slice(1))).toBe(false)
    await server.cli('SET', c.makeKey('near'), String(2 ** 53 - 10))
    expect(await c.incr('near', 5)).toBe(2 ** 53 - 5)
    await expect(c.incr('near', 10)).rejects.toBeInstanceOf(RangeError)
    expect(await server.cli('GET', c.makeKey('near'))).toBe('9007199254740997')
    await expect(c.incr('s')).rejects.toBeInstanceOf(TypeError)
    expect(await c.get('s')).toBe('hello')
  })

  it('reads bytes Django pickled as a miss, never unpickled, and a key of another type as a miss', async () => {
    const c = make()
    const raw = createClient({ socket: { host: '127.0.0.1', port: server.port } })
    await raw.connect()
    try {
      // pickle.dumps('hi', protocol=5)
      await raw.set(c.makeKey('pickled'), Buffer.from('80059506000000000000008c026869942e', 'hex'))
      await raw.rPush(c.makeKey('list'), 'x')
      expect(await c.get('pickled', 'miss')).toBe('miss')
      expect(await c.get('list', 'miss')).toBe('miss')
      expect(await c.getMany(['pickled', 'list'])).toEqual({})
      await expect(c.incr('pickled')).rejects.toBeInstanceOf(TypeError)
    } finally {
      raw.destroy()
    }
  })

  it('getMany is one MGET, deleteMany one UNLINK, whatever the number of keys', async () => {
    const c = make()
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`)
    expect(await c.setMany(Object.fromEntries(keys.map((k) => [k, k])))).toEqual([])
    const [mget, get, unlink] = [await calls('mget'), await calls('get'), await calls('unlink')]
    expect(Object.keys(await c.getMany(keys))).toHaveLength(100)
    await c.deleteMany(keys)
    expect(await calls('mget')).toBe(mget + 1)
    expect(await calls('get')).toBe(get)
    expect(await calls('unlink')).toBe(unlink + 1)
    expect(await c.getMany(keys)).toEqual({})
  })

  it('getMany takes any iterable of keys (a Set, a generator) in the same one MGET', async () => {
    const c = make()
    await c.setMany({ a: 1, b: 'two' })
    const mget = await calls('mget')
    expect(await c.getMany(new Set(['a', 'b', 'gone']))).toEqual({ a: 1, b: 'two' })
    expect(
      await c.getMany(
        (function* () {
          yield 'b'
          yield 'a'
          yield 'b'
        })(),
      ),
    ).toEqual({ a: 1, b: 'two' })
    expect(await calls('mget')).toBe(mget + 2)
  })

  it('get and getMany count as the generic path does, with or without listeners, and hand envelopes on', async () => {
    // Without listeners get/getMany take redis.ts's fast paths, with one the generic ones: the
    // answers and the counters must agree (duplicates counted once, __proto__ an own key,
    // tagged and soft-expired entries checked).
    const plain = make()
    const listened = make({}, plain.keyPrefix)
    listened.on('*', () => {})
    await plain.setMany({ a: 1, b: 'two', __proto__x: 0 })
    await plain.set('__proto__', { p: 1 })
    await plain.setMany({ toString: 'ts', u: undefined })
    await plain.set('t', 'tagged', 300, { tags: ['tg'] })
    await plain.set('s', 'stale')
    await plain.expire('s')
    for (const c of [plain, listened]) {
      const before = c.stats()
      expect(await c.getMany(['a', 'a', 'b', 'missing', 'missing', '__proto__'])).toEqual(
        Object.defineProperty({ a: 1, b: 'two' }, '__proto__', { value: { p: 1 }, enumerable: true }),
      )
      const r = await c.getMany(['__proto__'])
      expect(Object.getPrototypeOf(r)).toBe(Object.prototype)
      expect(Object.hasOwn(r, '__proto__')).toBe(true)
      expect(await c.getMany(['a', 't', 's'])).toEqual({ a: 1, t: 'tagged' })
      // Names Object.prototype has: own keys when found, absent when not; undefined counted once.
      const o = await c.getMany<unknown>(['toString', 'constructor', 'u', 'u', 'hasOwnProperty'])
      expect(Object.keys(o)).toEqual(['toString', 'u'])
      expect([o.toString, o.u, Object.hasOwn(o, 'u'), Object.getPrototypeOf(o)]).toEqual([
        'ts',
        undefined,
        true,
        Object.prototype,
      ])
      expect(o.constructor).toBe(Object)
      // The caller's array changed while the MGET is out: the answer is for the keys asked.
      const asked = ['a', 'b']
      const pending = c.getMany(asked)
      asked[0] = 'missing'
      asked.length = 1
      expect(await pending).toEqual({ a: 1, b: 'two' })
      expect(await c.get('t')).toBe('tagged')
      expect(await c.get('s', 'miss')).toBe('miss')
      expect(await c.get('b')).toBe('two')
      const after = c.stats()
      expect([after.hits - before.hits, after.misses - before.misses]).toEqual([
        3 + 1 + 2 + 2 + 2 + 2,
        1 + 1 + 1 + 2,
      ])
    }
    await plain.invalidateTags(['tg'])
    expect(await plain.get('t', 'gone')).toBe('gone')
    expect(await plain.getMany(['t', 'a'])).toEqual({ a: 1 })
  })

  it('a set refused for memory (noeviction OOM) is false and leaves no older value readable (rule 5)', async () => {
    const plain = make()
    const listened = make()
    listened.on('*', () => {})
    for (const c of [plain, listened]) {
      await c.set('k', 'old')
      await c.setMany({ m: 'old' })
    }
    await server.cli('CONFIG', 'SET', 'maxmemory-policy', 'noeviction')
    await server.cli('CONFIG', 'SET', 'maxmemory', '1')
    try {
      for (const c of [plain, listened]) {
        const sets = c.stats().sets
        expect(await c.set('k', 'new')).toBe(false)
        expect(await c.setMany({ m: 'new' })).toEqual(['m'])
        expect(c.stats().sets).toBe(sets)
        expect(await c.get('k', 'gone')).toBe('gone')
        expect(await c.getMany(['m'])).toEqual({})
      }
    } finally {
      await server.cli('CONFIG', 'SET', 'maxmemory', '0')
    }
    expect(await plain.set('k', 'again')).toBe(true)
    expect(await plain.get('k')).toBe('again')
  })

  it("clear() removes only this cache's keys, in batches; other prefixes and foreign keys stay", async () => {
    const mine = make()
    const other = make()
    const keys = Array.from({ length: 2500 }, (_, i) => `k${i}`)
    await mine.setMany(Object.fromEntries(keys.map((k) => [k, 1])))
    await other.set('k1', 'theirs')
    await server.cli('SET', 'foreign', 'x')
    const unlink = await calls('unlink')
    await mine.clear()
    expect(await calls('unlink')).toBeGreaterThanOrEqual(unlink + 3)
    expect(await mine.getMany(keys.slice(0, 50))).toEqual({})
    let n = 0
    for await (const _ of mine.entries()) n++
    expect(n).toBe(0)
    expect(await other.get('k1')).toBe('theirs')
    expect(await server.cli('GET', 'foreign')).toBe('x')
    expect(mine.scanPattern()).toBe(`${mine.keyPrefix}:*`)
  })

  it("options.clear 'flushdb' is Django's clear: the whole database goes", async () => {
    const c = new RedisCache({ location: `${server.url}/3`, keyPrefix: 'a', options: { clear: 'flushdb' } })
    made.push(c)
    const neighbour = new RedisCache({ location: `${server.url}/3`, keyPrefix: 'b' })
    made.push(neighbour)
    await c.set('k', 1)
    await neighbour.set('k', 2)
    await c.clear()
    expect(await neighbour.get('k')).toBeUndefined()
    expect(await server.cli('-n', '3', 'DBSIZE')).toBe('0')
  })

  it('lists entries with expiry and MEMORY USAGE size, and says it does not cull', async () => {
    const c = make()
    await c.set('a', { x: 1 }, 60)
    const all = []
    for await (const e of c.entries()) all.push(e)
    const [e] = all
    expect(e).toMatchObject({ key: 'a', version: 1, value: { x: 1 } })
    expect(e?.size).toBeGreaterThan(0)
    expect(e?.expiresAt).toBeGreaterThan(Date.now() + 55_000)
    expect(c.stats()).toMatchObject({ culls: false, evictions: 0 })
  })

  it("authenticates with the URL's user:pass or options.username/password; a wrong password is a rule-15 miss", async () => {
    // An ACL user beside the default one (the file's other tests keep using the default user).
    const user = uniqueKey('app').replace(/-/g, '_')
    expect(await server.cli('ACL', 'SETUSER', user, 'on', '>s3cr%t', '~*', '&*', '+@all')).toBe('OK')
    const keyPrefix = uniqueKey('auth')
    const inUrl = new RedisCache({
      location: `redis://${user}:${encodeURIComponent('s3cr%t')}@127.0.0.1:${server.port}`,
      keyPrefix,
      options: { timeoutMs: 5000 },
    })
    const inOptions = new RedisCache({
      location: server.url,
      keyPrefix,
      options: { timeoutMs: 5000, username: user, password: 's3cr%t' },
    })
    const wrong = new RedisCache({
      location: server.url,
      keyPrefix,
      options: { timeoutMs: 500, username: user, password: 'nope' },
    })
    made.push(inUrl, inOptions, wrong)
    await untilWritable(inUrl)
    await inUrl.set('k', 'by url')
    expect(await inOptions.get('k')).toBe('by url')
    await inOptions.set('k2', 2)
    expect(await inUrl.get('k2')).toBe(2)
    const clients = await server.cli('CLIENT', 'LIST')
    expect(clients).toContain(`user=${user}`)
    const errors: string[] = []
    wrong.on('error', (e) => errors.push(String((e.error as Error | undefined)?.message ?? e.message)))
    expect(await wrong.get('k', 'miss')).toBe('miss')
    await expect(wrong.set('k', 'x')).rejects.toBeInstanceOf(CacheUnavailableError)
    expect(errors.join('\n')).toMatch(/WRONGPASS|invalid username-password/)
    expect(await inUrl.get('k')).toBe('by url')
  })

  it("uses a caller's connected client and leaves it open on close; works over a unix socket", async () => {
    const client = createClient({ socket: { host: '127.0.0.1', port: server.port } })
    client.on('error', () => {})
    await client.connect()
    const c = new RedisCache({ keyPrefix: uniqueKey('own'), options: { client } })
    await c.set('k', 'v')
    expect(await client.get(c.makeKey('k'))).toBe('v')
    await c.close()
    expect(client.isOpen).toBe(true)
    expect(await c.get('k')).toBe('v')
    await c.close()
    client.destroy()
    const viaSocket = new RedisCache({ location: `unix://${server.unixSocketPath}`, keyPrefix: c.keyPrefix })
    made.push(viaSocket)
    expect(await viaSocket.get('k')).toBe('v')
  })

  it('4 processes × 10,000 incr on one key: exactly 40,000', async () => {
    const prefix = uniqueKey('incr')
    const c = make({}, prefix)
    await c.set('n', 0, null)
    // Four real processes on plain node: the worker bundled once (node-redis stays a package import).
    const worker = await bundleTs(supportFile('redis-incr-worker.ts'), ['redis'])
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => runJs(worker, [server.url, prefix, 'n', '10000'])),
    ).finally(() => rmSync(worker, { force: true }))
    for (const r of results) {
      expect(r.stdout).toBe(JSON.stringify({ errors: 0, messages: [] }))
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      expect(JSON.parse(r.stdout)).toEqual({ errors: 0, messages: [] })
    }
    expect(await c.get('n')).toBe(40_000)
  }, 120_000)
})

describe('redis: rule 16 hooks', () => {
  const calls = async (cmd: string) =>
    Number(/calls=(\d+)/.exec((await server.info('commandstats')).get(`cmdstat_${cmd}`) ?? '')?.[1] ?? 0)
  it('expire() marks an entry stale in place, keeping its remaining TTL', async () => {
    const c = new RedisCache({
      location: server.url,
      keyPrefix: uniqueKey('x'),
      options: { timeoutMs: 5000 },
    })
    try {
      await untilWritable(c)
      await c.set('k', 'v', 60)
      expect(await c.expire('k')).toBe(true)
      const pttl = Number(await server.cli('PTTL', c.makeKey('k')))
      expect(pttl).toBeGreaterThan(50_000)
      expect(pttl).toBeLessThanOrEqual(60_000)
      expect(await c.expire('missing')).toBe(false)
    } finally {
      await c.close()
    }
  })

  it('a lease has one holder; release with another token leaves it, with the right one frees it', async () => {
    const c = new RedisCache({
      location: server.url,
      keyPrefix: uniqueKey('l'),
      options: { timeoutMs: 5000 },
    })
    try {
      await untilWritable(c)
      const raw = c.makeKey('page')
      const [sets, evals] = [await calls('set'), await calls('evalsha')]
      const token = await c.acquireLease(raw, 10_000)
      expect(token).toBeTypeOf('string')
      // SET <leaseKey> <token> NX PX 10000: the token as plain text, with a millisecond TTL.
      expect(await calls('set')).toBe(sets + 1)
      expect(await server.cli('GET', leaseKeyFor(raw))).toBe(token)
      const pttl = Number(await server.cli('PTTL', leaseKeyFor(raw)))
      expect(pttl).toBeGreaterThan(5000)
      expect(pttl).toBeLessThanOrEqual(10_000)
      expect(await c.acquireLease(raw, 10_000)).toBeUndefined()
      // entries() lists the lease with its holder.
      const listed = []
      for await (const e of c.entries()) listed.push(e)
      expect(listed.filter((e) => e.key === 'page')).toMatchObject([{ state: 'leased', leaseHolder: token }])
      await c.releaseLease(raw, 'not-the-token')
      expect(await c.acquireLease(raw, 10_000)).toBeUndefined()
      await c.releaseLease(raw, token as string)
      // Both releases were one compare-and-delete script each.
      expect((await calls('evalsha')) + (await calls('eval'))).toBeGreaterThanOrEqual(evals + 2)
      expect(await server.cli('EXISTS', leaseKeyFor(raw))).toBe('0')
      const t2 = await c.acquireLease(raw, 150)
      expect(t2).toBeTypeOf('string')
      // A holder that never releases (it died): the lease runs out on the server by itself.
      await waitFor(
        async () => (await server.cli('EXISTS', leaseKeyFor(raw))) === '0',
        'the lease to run out',
        5000,
      )
      expect(await c.acquireLease(raw, 10_000)).toBeTypeOf('string')
    } finally {
      await c.close()
    }
  })
})
