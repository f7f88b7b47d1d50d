import { describe, expect, it } from 'vitest'
import { cachePage, LocMemCache, makeTemplateFragmentKey } from '../src/index.ts'

describe('smoke', () => {
  it('caches', async () => {
    const cache = new LocMemCache({ location: `smoke-${Math.random()}` })
    let n = 0
    const h = cachePage(60, { cache })(async () => new Response(`hello ${++n}`))
    const a = await h(new Request('http://example.com/x'))
    const b = await h(new Request('http://example.com/x'))
    expect(await a.text()).toBe('hello 1')
    expect(await b.text()).toBe('hello 1')
    expect(b.headers.get('age')).toBe('0')
    expect(makeTemplateFragmentKey('sidebar', ['alice'])).toBe(
      'template.cache.sidebar.6496a001d04a089af74acbb2476031e4',
    )
    expect(makeTemplateFragmentKey('sidebar', ['alice'], { legacy: true })).toBe(
      'template.cache.sidebar.770553c33dfa3a641da8312d60b3b9ef',
    )
  })
})
