/**
 * The packed listing of Vite's WebSocket (pack.ts): a real inspector's snapshot, with every kind
 * of entry field, packs to fewer bytes and unpacks to the same snapshot.
 */
import { createCaches } from '@cachework/core'
import { uniqueKey } from '@cachework/core/testing'
import { describe, expect, it } from 'vitest'
import { CacheInspector } from '../src/inspector.ts'
import { isPackedSnapshot, packSnapshot, unpackSnapshot } from '../src/pack.ts'
import type { Snapshot } from '../src/protocol.ts'

describe('packSnapshot / unpackSnapshot', () => {
  it('round-trips a snapshot through JSON, fields absent, null and present alike', async () => {
    const cache = createCaches({ t: { backend: 'locmem', location: uniqueKey('pack') } }).get('t')
    await cache.set('never', { a: [1, 2] }, null)
    await cache.set('soon', 'text', 60)
    await cache.set('v2', 42, 60, { version: 2 })
    for (let i = 0; i < 100; i++) await cache.set(`bulk-${i}`, { i }, 600)
    const snap = (await new CacheInspector(() => [cache]).run({ op: 'list' })) as Snapshot
    // A hand-made entry with the rarer fields (an HTTP summary, a lease, tags), and a cap.
    snap.entries.push({
      cache: snap.caches[0]?.id ?? 'c1',
      rawKey: ':1:page',
      expiresAt: null,
      preview: '200 text/html 10 B',
      http: { status: 200, storedAt: 1, url: 'http://127.0.0.1/x', vary: 'accept' },
      state: 'leased',
      leaseHolder: 'pid1-x',
      tags: ['a'],
    })
    snap.truncated = true
    const packed = JSON.parse(JSON.stringify(packSnapshot(snap))) as unknown
    expect(isPackedSnapshot(packed)).toBe(true)
    expect(isPackedSnapshot(snap)).toBe(false)
    if (!isPackedSnapshot(packed)) return
    expect(unpackSnapshot(packed)).toEqual(snap)
    expect(unpackSnapshot(packed).entries.find((e) => e.key === 'never')?.expiresAt).toBeNull()
    expect(JSON.stringify(packed).length).toBeLessThan(JSON.stringify(snap).length * 0.8)
  })

  it('keeps an empty listing empty', () => {
    const snap: Snapshot = { caches: [], entries: [] }
    expect(unpackSnapshot(packSnapshot(snap))).toEqual(snap)
  })
})
