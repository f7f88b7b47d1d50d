// peekPage: the GET page key kept with a peeked header-list entry (page-hit.ts `getPageKey`)
// must stay that entry's own key, whatever objects the backend hands back.
import { uniqueKey } from '@cachework/core/testing'
import { describe, expect, it } from 'vitest'
import { LocMemCache } from '../src/index.ts'
import {
  cacheHeaderKey,
  pageCacheKey,
  peekPage,
  type RequestView,
  type StoredResponse,
} from '../src/http/index.ts'

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
