// peekPage: the GET page key kept with a peeked header-list entry (page-hit.ts `getPageKey`)
// must stay that entry's own key, whatever objects the backend hands back; the URL index
// (`urlKeys`) must follow the stored header list exactly and go with it.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { ManualClock, uniqueKey } from '@cachework/core/testing'
import { describe, expect, it } from 'vitest'
import { LocMemCache } from '../src/index.ts'
import {
  cacheHeaderKey,
  pageCacheKey,
  peekPage,
  type RequestView,
  type StoredResponse,
} from '../src/http/index.ts'
import { dropUrlKeys, isUrlIndexed } from '../src/http/page-hit.ts'

const view = (url: string): RequestView => ({ url, method: 'GET', header: () => null })

const page = (text: string): StoredResponse => ({
  status: 200,
  statusText: '',
  headers: [['content-type', 'text/plain']],
  body: new TextEncoder().encode(text),
  storedAt: Date.now(),
})

describe('peekPage: GET keys kept with header-list entries', () => {
  it('serves each URL its own page when two header-list entries are one object, on every hit', async () => {
    // Without value isolation the cache keeps the very array it was given: both entries share it.
    const cache = new LocMemCache({ location: uniqueKey('peek-shared-list'), options: { isolate: false } })
    const shared: string[] = []
    const a = view('http://example.com/a')
    const b = view('http://example.com/b')
    for (const [v, text] of [
      [a, 'A'],
      [b, 'B'],
    ] as const) {
      await cache.set(cacheHeaderKey(v), shared)
      await cache.set(pageCacheKey(v, 'GET', []), page(text))
    }
    for (let i = 0; i < 3; i++) {
      for (const [v, text] of [
        [a, 'A'],
        [b, 'B'],
      ] as const) {
        const got = peekPage(cache, v, 'GET', {}) as StoredResponse
        expect(new TextDecoder().decode(got.body)).toBe(text)
      }
    }
  })

  it('keys by the key prefix of the lookup, not of the first hit', async () => {
    const cache = new LocMemCache({ location: uniqueKey('peek-prefix'), options: { isolate: false } })
    const shared: string[] = []
    const v = view('http://example.com/p')
    for (const keyPrefix of ['one', 'two']) {
      await cache.set(cacheHeaderKey(v, { keyPrefix }), shared)
      await cache.set(pageCacheKey(v, 'GET', [], { keyPrefix }), page(keyPrefix))
    }
    for (let i = 0; i < 2; i++) {
      for (const keyPrefix of ['one', 'two']) {
        const got = peekPage(cache, v, 'GET', { keyPrefix }) as StoredResponse
        expect(new TextDecoder().decode(got.body)).toBe(keyPrefix)
      }
    }
  })

  it('follows a re-learned header list: a page stored under a Vary key is found after hits on the old one', async () => {
    const cache = new LocMemCache({ location: uniqueKey('peek-relearn') })
    const v: RequestView = {
      url: 'http://example.com/v',
      method: 'GET',
      header: (n) => (n === 'accept' ? 'x' : null),
    }
    await cache.set(cacheHeaderKey(v), [])
    await cache.set(pageCacheKey(v, 'GET', []), page('plain'))
    expect(new TextDecoder().decode((peekPage(cache, v, 'GET', {}) as StoredResponse).body)).toBe('plain')
    await cache.set(cacheHeaderKey(v), ['HTTP_ACCEPT'])
    await cache.set(pageCacheKey(v, 'GET', ['HTTP_ACCEPT']), page('varied'))
    expect(new TextDecoder().decode((peekPage(cache, v, 'GET', {}) as StoredResponse).body)).toBe('varied')
  })
})

const body = (got: unknown): string => new TextDecoder().decode((got as StoredResponse).body)

describe('peekPage: the URL index follows the stored header list', () => {
  it('serves a hit after the header list is replaced, and misses after it is deleted or expires', async () => {
    const clock = new ManualClock()
    const cache = new LocMemCache({ location: uniqueKey('peek-index'), options: { clock } })
    const v: RequestView = {
      url: 'http://example.com/index?q=1',
      method: 'GET',
      header: (n) => (n === 'accept' ? 'x' : null),
    }
    await cache.set(cacheHeaderKey(v), [], 10)
    await cache.set(pageCacheKey(v, 'GET', []), page('plain'))
    // Hits after the first come through the index.
    for (let i = 0; i < 3; i++) expect(body(peekPage(cache, v, 'GET', {}))).toBe('plain')
    // Replaced: the indexed header key finds the new list, whose page key differs.
    await cache.set(cacheHeaderKey(v), ['HTTP_ACCEPT'], 10)
    await cache.set(pageCacheKey(v, 'GET', ['HTTP_ACCEPT']), page('varied'))
    for (let i = 0; i < 2; i++) expect(body(peekPage(cache, v, 'GET', {}))).toBe('varied')
    // Deleted: a miss, though the page it named is still stored.
    await cache.delete(cacheHeaderKey(v))
    expect(peekPage(cache, v, 'GET', {})).toBeUndefined()
    // Stored again, then expired: a miss.
    await cache.set(cacheHeaderKey(v), ['HTTP_ACCEPT'], 10)
    expect(body(peekPage(cache, v, 'GET', {}))).toBe('varied')
    clock.advance(11_000)
    expect(peekPage(cache, v, 'GET', {})).toBeUndefined()
  })

  it('keys by the lookup key prefix and the request URL, not by what was indexed first', async () => {
    const cache = new LocMemCache({ location: uniqueKey('peek-index-prefix') })
    const a = view('http://example.com/i')
    const b = view('http://example.com/i?') // Django drops an empty query: the same page as `a`
    const c = view('http://example.org/i')
    for (const keyPrefix of ['', 'p']) {
      await cache.set(cacheHeaderKey(a, { keyPrefix }), [])
      await cache.set(pageCacheKey(a, 'GET', [], { keyPrefix }), page(`a${keyPrefix}`))
    }
    await cache.set(cacheHeaderKey(c), [])
    await cache.set(pageCacheKey(c, 'GET', []), page('c'))
    for (let i = 0; i < 3; i++) {
      expect(body(peekPage(cache, a, 'GET', {}))).toBe('a')
      expect(body(peekPage(cache, a, 'GET', { keyPrefix: 'p' }))).toBe('ap')
      expect(body(peekPage(cache, b, 'GET', { keyPrefix: 'p' }))).toBe('ap')
      expect(body(peekPage(cache, b, 'GET', {}))).toBe('a')
      expect(body(peekPage(cache, c, 'GET', {}))).toBe('c')
    }
  })

  it('indexes a view with its origin and target apart by both: one target on two hosts keeps its pages apart', async () => {
    const cache = new LocMemCache({ location: uniqueKey('peek-index-parts') })
    const parts = (origin: string, target: string): RequestView => ({
      url: origin + target,
      origin,
      target,
      method: 'GET',
      header: () => null,
    })
    const a = parts('http://parts-a.example', '/same?q=1')
    const b = parts('http://parts-b.example', '/same?q=1')
    const c = parts('https://parts-a.example', '/same?q=1')
    for (const [v, text] of [
      [a, 'a'],
      [b, 'b'],
      [c, 'c'],
    ] as const) {
      await cache.set(cacheHeaderKey(v), [])
      await cache.set(pageCacheKey(v, 'GET', []), page(text))
    }
    for (let i = 0; i < 3; i++) {
      expect(body(peekPage(cache, a, 'GET', {}))).toBe('a')
      expect(body(peekPage(cache, b, 'GET', {}))).toBe('b')
      expect(body(peekPage(cache, c, 'GET', {}))).toBe('c')
      // The same URL as a whole: the same keys, so the same page.
      expect(body(peekPage(cache, view(b.url), 'GET', {}))).toBe('b')
    }
    expect(isUrlIndexed(a.url)).toBe(true)
    expect(isUrlIndexed('http://parts-a.example/same')).toBe(false)
    dropUrlKeys({
      key: a.target as string,
      origin: 'http://parts-a.example',
      digest: '',
      keyPrefix: '',
      headerKey: '',
      getKey: undefined,
    })
    expect(isUrlIndexed(a.url)).toBe(true)
    await cache.delete(cacheHeaderKey(b))
    expect(peekPage(cache, b, 'GET', {})).toBeUndefined()
    expect(body(peekPage(cache, a, 'GET', {}))).toBe('a')
  })

  it('drops an entry only while it is the one indexed for its URL', async () => {
    const cache = new LocMemCache({ location: uniqueKey('peek-index-drop') })
    const v = view('http://example.com/drop')
    await cache.set(cacheHeaderKey(v), [])
    await cache.set(pageCacheKey(v, 'GET', []), page('d'))
    expect(isUrlIndexed(v.url)).toBe(false)
    expect(body(peekPage(cache, v, 'GET', {}))).toBe('d')
    expect(isUrlIndexed(v.url)).toBe(true)
    // Another entry object for the URL (as the callback of an older, collected list sees): kept.
    dropUrlKeys({ key: v.url, origin: '', digest: '', keyPrefix: '', headerKey: '', getKey: undefined })
    expect(isUrlIndexed(v.url)).toBe(true)
    expect(body(peekPage(cache, v, 'GET', {}))).toBe('d')
  })

  it('lets its entries go with the stored header lists they were made for (no growth past the cache)', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const cache = new LocMemCache({ location: uniqueKey('peek-index-gc'), options: { maxEntries: 10_000 } })
    const urls = Array.from({ length: 200 }, (_, i) => `http://example.com/gc/${i}`)
    for (const url of urls) {
      await cache.set(cacheHeaderKey(view(url)), [])
      await cache.set(pageCacheKey(view(url), 'GET', []), page(url))
    }
    for (const url of urls) expect(body(peekPage(cache, view(url), 'GET', {}))).toBe(url)
    const indexed = (): number => urls.filter(isUrlIndexed).length
    expect(indexed()).toBe(urls.length)
    // Still stored: collections keep every entry.
    for (let i = 0; i < 3; i++) {
      gc()
      await new Promise((r) => setTimeout(r, 10))
    }
    expect(indexed()).toBe(urls.length)
    await cache.clear()
    // Finalization callbacks run as tasks after a collection: a few rounds at most.
    for (let i = 0; i < 50 && indexed() > 0; i++) {
      gc()
      await new Promise((r) => setTimeout(r, 10))
    }
    expect(indexed()).toBe(0)
  })
})
