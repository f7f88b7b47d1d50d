/**
 * The inspector every in-process channel uses, against real locmem caches, and the safe value
 * preview that carries values across the wire as text.
 */
import { caches, configureCaches, createCaches } from '@cachework/core'
import { formatValue, inspectCache, inspectedCaches } from '@cachework/core/inspect'
import { uniqueKey } from '@cachework/core/testing'
import { describe, expect, it } from 'vitest'
import { CacheInspector } from '../src/inspector.ts'
import type { EventBatch, InspectorSnapshot as Snapshot } from '@cachework/core/inspect'

function makeCache() {
  return createCaches({ t: { backend: 'locmem', location: uniqueKey('insp') } }).get('t')
}

describe('formatValue', () => {
  it('renders every structured-clone value without running user code', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' }
    cyclic.self = cyclic
    expect(formatValue(cyclic)).toBe('{ name: "loop", self: [Circular] }')
    expect(formatValue([undefined, null, Number.NaN, -0, Number.POSITIVE_INFINITY, 10n, true])).toBe(
      '[undefined, null, NaN, -0, Infinity, 10n, true]',
    )
    expect(formatValue(new Date(0))).toBe('Date(1970-01-01T00:00:00.000Z)')
    expect(formatValue(/a+b/gi)).toBe('/a+b/gi')
    expect(formatValue(new Map([['k', new Set([1])]]))).toBe('Map(1) { "k" => Set(1) { 1 } }')
    expect(formatValue(new Uint8Array([1, 2, 3]))).toBe('Uint8Array(3) [1, 2, 3]')
    expect(formatValue(new ArrayBuffer(8))).toBe('ArrayBuffer(8)')
    expect(formatValue({ 'a-b': 1 })).toBe('{ "a-b": 1 }')
    let called = false
    const sneaky = {
      toString() {
        called = true
        return 'x'
      },
      toJSON() {
        called = true
        return 'x'
      },
    }
    formatValue(sneaky)
    expect(called).toBe(false)
  })

  it('caps the length and pretty-prints on request', () => {
    const long = formatValue('y'.repeat(1000), { max: 50 })
    expect(long).toHaveLength(51)
    expect(long.endsWith('…')).toBe(true)
    expect(formatValue({ a: [1, 2] }, { pretty: true })).toBe('{\n  a: [\n    1,\n    2\n  ]\n}')
  })
})

describe('CacheInspector', () => {
  it('lists, shows, deletes, bumps and clears through the Cache API', async () => {
    const cache = makeCache()
    const inspector = new CacheInspector(() => [cache])
    await cache.set('a', { x: 1 }, 300)
    await cache.set('b', 'bee', null)
    const before = cache.stats()
    const snap = (await inspector.run({ op: 'list' })) as Snapshot
    const id = snap.caches[0]?.id as string
    expect(snap.caches[0]).toMatchObject({ alias: 't', backend: 'locmem' })
    expect(snap.entries.map((e) => [e.key, e.version, e.preview]).sort()).toEqual([
      ['a', 1, '{ x: 1 }'],
      ['b', 1, '"bee"'],
    ])
    expect(await inspector.run({ op: 'value', cache: id, rawKey: ':1:a' })).toMatchObject({
      text: '{\n  x: 1\n}',
      json: '{\n  "x": 1\n}',
      tree: { t: 'object', entries: [['x', { t: 'num', v: '1' }]] },
    })
    // Inspection reads through entries(): the hit/miss counters do not move.
    expect(cache.stats()).toEqual(before)
    expect(await inspector.run({ op: 'bump', cache: id, key: 'a' })).toEqual({ version: 2 })
    expect(await cache.get('a', undefined, { version: 2 })).toEqual({ x: 1 })
    expect(await inspector.run({ op: 'delete', cache: id, key: 'b' })).toEqual({ deleted: true })
    expect(await cache.has('b')).toBe(false)
    await inspector.run({ op: 'clear', cache: id })
    expect((await inspector.snapshot()).entries).toEqual([])
    await expect(inspector.run({ op: 'clear', cache: 'nope' })).rejects.toThrow(/No cache/)
  })

  it('touches and edits through the cache API, keeping the expiry; refuses values JSON would change', async () => {
    const cache = makeCache()
    const inspector = new CacheInspector(() => [cache])
    await cache.set('j', { n: 1 }, 5)
    await cache.set('m', new Map([['k', 1]]), 5)
    const id = inspector.caches()[0]?.id as string
    expect(await inspector.run({ op: 'touch', cache: id, key: 'j', timeout: 3600 })).toEqual({
      touched: true,
    })
    const exp = (await inspector.snapshot()).entries.find((e) => e.key === 'j')?.expiresAt as number
    expect(exp - Date.now()).toBeGreaterThan(3500_000)
    expect(await inspector.run({ op: 'edit', cache: id, key: 'j', json: '{"n":2,"s":"two"}' })).toEqual({
      set: true,
    })
    expect(await cache.get('j')).toEqual({ n: 2, s: 'two' })
    const after = (await inspector.snapshot()).entries.find((e) => e.key === 'j')?.expiresAt as number
    expect(Math.abs(after - exp)).toBeLessThan(2000)
    await expect(inspector.run({ op: 'edit', cache: id, key: 'm', json: '{}' })).rejects.toThrow(/JSON/)
    await expect(inspector.run({ op: 'edit', cache: id, key: 'j', json: 'not json' })).rejects.toThrow(
      /not JSON/,
    )
    await expect(inspector.run({ op: 'touch', cache: id, key: 'j', timeout: -1 })).rejects.toThrow(/positive/)
    expect(await cache.get('m')).toEqual(new Map([['k', 1]]))
  })

  it('caps the list and says so', async () => {
    const cache = makeCache()
    for (let i = 0; i < 12; i++) await cache.set(`k${i}`, i)
    const snap = await new CacheInspector(() => [cache], { maxEntries: 10 }).snapshot()
    expect(snap.entries).toHaveLength(10)
    expect(snap.truncated).toBe(true)
  })

  it('delivers batched events and stats to subscribers', async () => {
    const cache = makeCache()
    const inspector = new CacheInspector(() => [cache], { flushMs: 20 })
    const batches: EventBatch[] = []
    const off = inspector.subscribe((b) => batches.push(b))
    await cache.set('live', 1)
    await cache.get('live')
    await cache.get('missing')
    await expect
      .poll(() => batches.flatMap((b) => b.events.map((e) => e.type)), { timeout: 10_000 })
      .toEqual(expect.arrayContaining(['set', 'hit', 'miss']))
    const last = batches.at(-1) as EventBatch
    expect(Object.values(last.stats)[0]).toMatchObject({ hits: 1, misses: 1, sets: 1 })
    off()
  })

  it('sees caches made with new via inspectCache, across copies of core (globalThis list)', () => {
    const cache = makeCache()
    expect(inspectedCaches()).not.toContain(cache)
    const off = inspectCache(cache)
    expect(inspectedCaches()).toContain(cache)
    off()
    expect(inspectedCaches()).not.toContain(cache)
    // The process-wide registry's caches are listed without any call, used or not.
    const fromRegistry = caches.get('default')
    expect(inspectedCaches()).toContain(fromRegistry)
    configureCaches({
      default: { backend: 'locmem' },
      unused: { backend: 'locmem', location: uniqueKey('unused') },
    })
    expect(inspectedCaches().map((c) => c.alias)).toEqual(expect.arrayContaining(['default', 'unused']))
    configureCaches({ default: { backend: 'locmem' } })
  })
})

describe('CacheInspector: stampede state on the wire (docs/contract.md rule 16)', () => {
  it('lists state, softExpiresAt and the lease holder; a lease item is a row of its own', async () => {
    const cache = makeCache()
    await cache.getOrSet('soft', () => 1, 60, { staleWhileRevalidate: 60 })
    await cache.set('gone-stale', 2, 60)
    await cache.expire('gone-stale')
    let release = (_v: number): void => {}
    let started = (): void => {}
    const running = new Promise<void>((r) => {
      started = r
    })
    const computing = cache.getOrSet(
      'locked',
      () => {
        started()
        return new Promise<number>((r) => {
          release = r
        })
      },
      60,
      { lock: 'distributed', lockTimeoutMs: 10_000 },
    )
    await running
    const snap = (await new CacheInspector(() => [cache]).run({ op: 'list' })) as Snapshot
    const by = (key: string, state?: string) =>
      snap.entries.find((e) => e.key === key && (state === undefined || e.state === state))
    expect(by('soft')?.state).toBe('fresh')
    expect(by('soft')?.softExpiresAt).toBeGreaterThan(Date.now())
    expect(by('gone-stale')?.state).toBe('stale')
    const lease = by('locked', 'leased')
    expect(lease?.leaseHolder).toMatch(/^pid\d+-/)
    expect(lease?.preview).toBe(`lease held by ${lease?.leaseHolder}`)
    release(3)
    expect(await computing).toBe(3)
    const after = (await new CacheInspector(() => [cache]).run({ op: 'list' })) as Snapshot
    expect(after.entries.filter((e) => e.key === 'locked').map((e) => e.state)).toEqual(['fresh'])
  })
})

describe('CacheInspector: listing without encoding every value', () => {
  it('lists locmem entries without sizes (entries({ sizes: false })); the value op reports the size', async () => {
    const cache = makeCache()
    await cache.set('sized', { text: 'x'.repeat(100) }, 60)
    const all: Array<number | undefined> = []
    for await (const e of cache.entries()) all.push(e.size)
    expect(all[0]).toBeGreaterThan(100)
    for await (const e of cache.entries({ sizes: false })) expect(e.size).toBeUndefined()
    const inspector = new CacheInspector(() => [cache])
    const snap = (await inspector.run({ op: 'list' })) as Snapshot
    const entry = snap.entries.find((e) => e.key === 'sized')
    expect(entry?.size).toBeUndefined()
    const v = (await inspector.run({
      op: 'value',
      cache: entry?.cache ?? '',
      rawKey: entry?.rawKey ?? '',
    })) as {
      size?: number
    }
    expect(v.size).toBe(all[0])
  })
})
