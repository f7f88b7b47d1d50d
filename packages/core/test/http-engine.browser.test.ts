/**
 * The response cache and the helpers in real Chromium: core's HTTP caching needs only the
 * Fetch API, so what runs in Node runs in a page (and in a service worker) unchanged.
 */
import { describe, expect, it } from 'vitest'
import { LocMemCache } from '../src/index.ts'
import {
  cachePage,
  getCacheKey,
  makeTemplateFragmentKey,
  md5Hex,
  patchCacheControl,
} from '../src/http/index.ts'
import { uniqueKey } from '../src/testing/index.ts'

describe('HTTP caching in the browser', () => {
  it('stores, serves with Age, answers 304, and shares one handler run', async () => {
    const cache = new LocMemCache({ location: uniqueKey('http-browser') })
    let runs = 0
    let now = Date.UTC(2026, 0, 1)
    const view = cachePage(60, { cache, now: () => now })(async () => {
      runs++
      await new Promise((r) => setTimeout(r, 20))
      return new Response('<p>hi</p>', { headers: { ETag: '"p1"', 'Content-Type': 'text/html' } })
    })
    const url = 'https://example.com/page?x=1'
    const first = await Promise.all(Array.from({ length: 20 }, () => view(new Request(url))))
    expect(runs).toBe(1)
    expect(new Set(await Promise.all(first.map((r) => r.text())))).toEqual(new Set(['<p>hi</p>']))
    now += 5_000
    const hit = await view(new Request(url))
    expect(hit.headers.get('age')).toBe('5')
    expect(await hit.text()).toBe('<p>hi</p>')
    const notModified = await view(new Request(url, { headers: { 'If-None-Match': '"p1"' } }))
    expect(notModified.status).toBe(304)
    expect(await getCacheKey(new Request(url), { cache })).toBe(
      `views.decorators.cache.cache_page..GET.${md5Hex(url)}.d41d8cd98f00b204e9800998ecf8427e`,
    )
  })

  it('helpers and fragment keys give the same output as in Node', () => {
    const h = new Headers({ 'Cache-Control': 'Public, Max-Age=10' })
    patchCacheControl(h, { private: true })
    expect(h.get('cache-control')).toBe('max-age=10, private')
    expect(makeTemplateFragmentKey('sidebar', ['alice'])).toBe(
      'template.cache.sidebar.6496a001d04a089af74acbb2476031e4',
    )
  })
})
