// peekPage: the GET page key kept with a peeked header-list entry (page-hit.ts `getPageKey`)
// must stay that entry's own key, whatever objects the backend hands back; the last URL's header
// key kept by a lookup (`lookupHeaderKey`) must stay that URL's, prefix's and kind of request's.
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

  it('keys a view and a Fetch Request with one URL string each as it spells it, in turn', async () => {
    // A view's URL is taken as is; a Request's is re-parsed (its fragment and lone `?` dropped):
    // the same string is two URIs, so the last-URL memo must tell them apart.
    const cache = new LocMemCache({ location: uniqueKey('peek-view-request'), options: { isolate: false } })
    const url = 'http://example.com/f?#x'
    const v = view(url)
    const r = new Request(url)
    expect(cacheHeaderKey(v)).not.toBe(cacheHeaderKey(r))
    for (const [req, text] of [
      [v, 'view'],
      [r, 'request'],
    ] as const) {
      await cache.set(cacheHeaderKey(req), [])
      await cache.set(pageCacheKey(req, 'GET', []), page(text))
    }
    for (let i = 0; i < 2; i++) {
      for (const [req, text] of [
        [v, 'view'],
        [r, 'request'],
        [r, 'request'],
        [v, 'view'],
      ] as const) {
        const got = peekPage(cache, req, 'GET', {}) as StoredResponse
        expect(new TextDecoder().decode(got.body)).toBe(text)
      }
    }
  })

  it('keys each request of one URL by its own language when i18n is on', async () => {
    const cache = new LocMemCache({ location: uniqueKey('peek-i18n'), options: { isolate: false } })
    const i18n = (req: Request) => req.headers.get('x-lang') ?? undefined
    const at = (lang: string) => new Request('http://example.com/l', { headers: { 'x-lang': lang } })
    // Each language learned its own header list: reading the other's finds no page.
    for (const [lang, list] of [
      ['en', []],
      ['fr', ['HTTP_X_LANG']],
    ] as const) {
      await cache.set(cacheHeaderKey(at(lang), { i18n }), [...list])
      await cache.set(pageCacheKey(at(lang), 'GET', list, { i18n }), page(lang))
    }
    for (const lang of ['en', 'fr', 'fr', 'en']) {
      const got = peekPage(cache, at(lang), 'GET', { i18n }) as StoredResponse
      expect(new TextDecoder().decode(got.body)).toBe(lang)
    }
  })

  it('reads the header list of the key prefix of each lookup of one URL', async () => {
    const cache = new LocMemCache({ location: uniqueKey('peek-prefix-list') })
    const v: RequestView = { url: 'http://example.com/q', method: 'GET', header: () => 'x' }
    // Each prefix learned its own header list: reading the other's finds no page.
    for (const [keyPrefix, list] of [
      ['one', []],
      ['two', ['HTTP_ACCEPT']],
    ] as const) {
      await cache.set(cacheHeaderKey(v, { keyPrefix }), [...list])
      await cache.set(pageCacheKey(v, 'GET', list, { keyPrefix }), page(keyPrefix))
    }
    for (const keyPrefix of ['one', 'two', 'two', 'one']) {
      const got = peekPage(cache, v, 'GET', { keyPrefix }) as StoredResponse
      expect(new TextDecoder().decode(got.body)).toBe(keyPrefix)
    }
  })
})
