/**
 * Tags on cached pages and fragments (docs/contract.md rule 17): a page cached with tags is
 * dropped by `invalidateTags`, whatever its URL; the tags can also go to a CDN in a header.
 */
import { uniqueKey } from '@cachework/core/testing'
import { describe, expect, it } from 'vitest'
import { createCaches, LocMemCache } from '../src/index.ts'
import {
  cacheFragment,
  cacheMiddleware,
  cachePage,
  MAX_TAG_HEADER_BYTES,
  writeTagHeader,
} from '../src/http/index.ts'

const freshCache = () => new LocMemCache({ location: uniqueKey('http-tags') })

describe('page tags', () => {
  it('cachePage with tags from the request: invalidateTags drops exactly the tagged pages', async () => {
    const cache = freshCache()
    let runs = 0
    const view = cachePage(60, {
      cache,
      tags: (r) => [`article:${new URL(r.url).searchParams.get('id')}`, 'articles'],
    })(async (r: Request) => {
      runs++
      return new Response(`article ${new URL(r.url).searchParams.get('id')} #${runs}`)
    })
    const get = async (id: string) => (await view(new Request(`http://example.com/a?id=${id}`))).text()
    expect(await get('1')).toBe('article 1 #1')
    expect(await get('2')).toBe('article 2 #2')
    expect(await get('1')).toBe('article 1 #1')
    expect(runs).toBe(2)
    await cache.invalidateTags(['article:1'])
    expect(await get('1')).toBe('article 1 #3')
    expect(await get('2')).toBe('article 2 #2')
    await cache.invalidateTags(['articles'])
    expect(await get('2')).toBe('article 2 #4')
    expect(runs).toBe(4)
  })

  it('cacheMiddleware({ tags }) tags every page, and the Surrogate-Key header carries them', async () => {
    const cache = freshCache()
    let runs = 0
    const mw = cacheMiddleware({
      alias: cache,
      seconds: 60,
      tags: ['site', 'home'],
      tagHeader: 'Surrogate-Key',
    })
    const next = async () => {
      runs++
      return new Response(`home #${runs}`)
    }
    const first = await mw(new Request('http://example.com/'), next)
    expect(first.headers.get('surrogate-key')).toBe('home site')
    const hit = await mw(new Request('http://example.com/'), next)
    expect(await hit.text()).toBe('home #1')
    expect(hit.headers.get('surrogate-key')).toBe('home site')
    await cache.invalidateTags(['site'])
    expect(await (await mw(new Request('http://example.com/'), next)).text()).toBe('home #2')
  })

  it('sends no tag header unless asked, and keeps the header within the CDN limit', () => {
    const h = new Headers()
    writeTagHeader(h, false, ['a'])
    expect(h.has('surrogate-key')).toBe(false)
    const many = Array.from({ length: 400 }, (_, i) => `t${i}-${'x'.repeat(60)}`)
    writeTagHeader(h, 'Cache-Tag', many)
    const v = h.get('cache-tag') as string
    expect(new TextEncoder().encode(v).byteLength).toBeLessThanOrEqual(MAX_TAG_HEADER_BYTES)
    expect(v.split(' ').length).toBeLessThan(many.length)
    expect(v.startsWith('t0-')).toBe(true)
  })

  it('cacheFragment({ tags }) stores a fragment that invalidateTags drops', async () => {
    const registry = createCaches({ default: { backend: 'locmem', location: uniqueKey('frag') } })
    const name = uniqueKey('frag')
    let n = 0
    const render = () => `rendered ${++n}`
    expect(await cacheFragment({ timeout: 60, name, registry, tags: ['menu'] }, render)).toBe('rendered 1')
    expect(await cacheFragment({ timeout: 60, name, registry, tags: ['menu'] }, render)).toBe('rendered 1')
    await registry.get('default').invalidateTags(['menu'])
    expect(await cacheFragment({ timeout: 60, name, registry, tags: ['menu'] }, render)).toBe('rendered 2')
  })
})
