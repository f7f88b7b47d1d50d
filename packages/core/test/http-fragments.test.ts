/**
 * `cacheFragment`: the `{% cache %}` tag's render step (django/templatetags/cache.py). Fragment keys are
 * checked against Django in http-django.test.ts.
 */
import { uniqueKey } from '@cachework/core/testing'
import { describe, expect, it } from 'vitest'
import { type CachesConfig, createCaches, InvalidCacheBackendError } from '../src/index.ts'
import { cacheFragment, makeTemplateFragmentKey } from '../src/http/index.ts'

function registry(withFragments: boolean) {
  const config: CachesConfig = {
    default: { backend: 'locmem', location: uniqueKey('frag-default') },
    localcache: { backend: 'locmem', location: uniqueKey('frag-local') },
  }
  if (withFragments) config.template_fragments = { backend: 'locmem', location: uniqueKey('frag-tf') }
  return createCaches(config)
}

const renderer = () => {
  let n = 0
  return { render: () => `rendered ${++n}`, runs: () => n }
}

describe('cacheFragment', () => {
  it('renders once, then serves the cached string, per varyOn', async () => {
    const caches = registry(false)
    const r = renderer()
    const opts = { timeout: 500, name: 'sidebar', varyOn: ['alice'], registry: caches }
    expect(await cacheFragment(opts, r.render)).toBe('rendered 1')
    expect(await cacheFragment(opts, r.render)).toBe('rendered 1')
    expect(await cacheFragment({ ...opts, varyOn: ['bob'] }, r.render)).toBe('rendered 2')
    expect(await caches.get('default').get(makeTemplateFragmentKey('sidebar', ['alice']))).toBe('rendered 1')
  })

  it('uses template_fragments when configured, else default; `using` picks an alias', async () => {
    const withTf = registry(true)
    await cacheFragment({ timeout: 60, name: 'f', registry: withTf }, () => 'tf')
    expect(await withTf.get('template_fragments').get(makeTemplateFragmentKey('f'))).toBe('tf')
    expect(await withTf.get('default').has(makeTemplateFragmentKey('f'))).toBe(false)

    await cacheFragment({ timeout: 60, name: 'g', using: 'localcache', registry: withTf }, () => 'local')
    expect(await withTf.get('localcache').get(makeTemplateFragmentKey('g'))).toBe('local')
  })

  it('an unknown `using` is an InvalidCacheBackendError', async () => {
    await expect(
      cacheFragment({ timeout: 60, name: 'x', using: 'nope', registry: registry(false) }, () => 'x'),
    ).rejects.toBeInstanceOf(InvalidCacheBackendError)
  })

  it('timeout null caches forever; 0 and negatives re-render every time; "30" is accepted as int()', async () => {
    const caches = registry(false)
    await cacheFragment({ timeout: null, name: 'forever', registry: caches }, () => 'v')
    const entry = []
    for await (const e of caches.get('default').entries({ prefix: 'template.cache.forever.' })) entry.push(e)
    expect(entry.map((e) => e.expiresAt)).toEqual([null])

    const r = renderer()
    await cacheFragment({ timeout: 0, name: 'zero', registry: caches }, r.render)
    await cacheFragment({ timeout: -1, name: 'zero', registry: caches }, r.render)
    expect(r.runs()).toBe(2)

    const s = renderer()
    await cacheFragment({ timeout: '30', name: 'str', registry: caches }, s.render)
    expect(await cacheFragment({ timeout: 2.7, name: 'str', registry: caches }, s.render)).toBe('rendered 1')
  })

  it('a non-integer timeout is a clear TypeError', async () => {
    for (const timeout of ['abc', '', [], undefined, Number.NaN]) {
      await expect(
        cacheFragment(
          { timeout: timeout as unknown as number, name: 'bad', registry: registry(false) },
          () => 'x',
        ),
      ).rejects.toThrow(/non-integer timeout value/)
    }
  })

  it('an empty render is cached; async renders work', async () => {
    const caches = registry(false)
    let runs = 0
    const render = async () => {
      runs++
      return ''
    }
    await cacheFragment({ timeout: 60, name: 'empty', registry: caches }, render)
    expect(await cacheFragment({ timeout: 60, name: 'empty', registry: caches }, render)).toBe('')
    expect(runs).toBe(1)
  })
})

describe('cacheFragment under concurrency', () => {
  it('concurrent misses render once; a failing render reaches every waiter and stores nothing', async () => {
    const caches = registry(false)
    let runs = 0
    const render = async () => {
      runs++
      await new Promise((r) => setTimeout(r, 20))
      return 'once'
    }
    const out = await Promise.all(
      Array.from({ length: 50 }, () =>
        cacheFragment({ timeout: 60, name: 'busy', registry: caches }, render),
      ),
    )
    expect(new Set(out)).toEqual(new Set(['once']))
    expect(runs).toBe(1)

    const failing = () =>
      cacheFragment({ timeout: 60, name: 'fails', registry: caches }, async () => {
        await new Promise((r) => setTimeout(r, 10))
        throw new Error('template error')
      })
    const settled = await Promise.allSettled([failing(), failing()])
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected'])
    expect(await caches.get('default').has(makeTemplateFragmentKey('fails'))).toBe(false)
  })
})
