/**
 * Devtools' view of tags (docs/contract.md rule 17): the inspector lists an entry's tags and its
 * `invalidateTags` action drops every entry carrying them, through the Cache API.
 */
import { describe, expect, it } from 'vitest'
import { LocMemCache } from '../src/index.ts'
import { CacheInspector } from '../src/inspector.ts'
import type { Snapshot } from '../src/inspector-protocol.ts'
import { uniqueKey } from '../src/testing/index.ts'

describe('inspector and tags', () => {
  it('shows EntryInfo.tags and invalidates a tag on request', async () => {
    const cache = new LocMemCache({ location: uniqueKey('insp') })
    await cache.set('a', 1, 300, { tags: ['article:1'] })
    await cache.set('b', 2, 300)
    const inspector = new CacheInspector(() => [cache])
    const snap = (await inspector.run({ op: 'list' })) as Snapshot
    const id = snap.caches[0]?.id as string
    expect(snap.caches[0]?.tags).toBe(true)
    const byKey = new Map(snap.entries.map((e) => [e.key, e]))
    expect(byKey.get('a')?.tags).toEqual(['article:1'])
    expect(byKey.get('b')?.tags).toBeUndefined()
    expect(await inspector.run({ op: 'invalidateTags', cache: id, tags: ['article:1'] })).toEqual({
      invalidated: true,
    })
    expect(await cache.get('a')).toBeUndefined()
    expect(await cache.get('b')).toBe(2)
    const after = (await inspector.run({ op: 'list' })) as Snapshot
    expect(after.entries.map((e) => e.key)).toEqual(['b'])
  })
})
