import { caches, configureCaches } from '@cachework/core'
import { makeTemplateFragmentKey } from '@cachework/core/http'
import { uniqueKey } from '@cachework/core/testing'
import nunjucks from 'nunjucks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { installCacheTag, SyncRenderError } from '../src/nunjucks.ts'

function render(env: nunjucks.Environment, src: string, ctx: object): Promise<string> {
  return new Promise((resolve, reject) =>
    env.renderString(src, ctx, (err, out) => (err ? reject(err) : resolve(out ?? ''))),
  )
}

function counter() {
  let n = 0
  return () => {
    n += 1
    return n
  }
}

describe('{% cache %} for Nunjucks (Django template fragment caching)', () => {
  const env = installCacheTag(new nunjucks.Environment(null, { autoescape: true }))

  beforeAll(() => {
    configureCaches({
      default: { backend: 'locmem', location: 'nunjucks-default' },
      localcache: { backend: 'locmem', location: 'nunjucks-local' },
    })
  })
  afterAll(() => configureCaches({ default: { backend: 'locmem' } }))

  it('a synchronous render of {% cache %} throws SyncRenderError naming the async renderer, never returns null', async () => {
    const name = uniqueKey('sync')
    const src = `a{% cache 60 ${name} %}<p>{{ n() }}</p>{% endcache %}b`
    const n = counter()
    expect(() => env.renderString(src, { n })).toThrow(SyncRenderError)
    expect(() => env.renderString(src, { n })).toThrow(/asynchronous render: pass a callback/)
    // Through a template object too, and nested in an include.
    const loaderEnv = installCacheTag(
      new nunjucks.Environment(
        new (class extends nunjucks.Loader {
          getSource(file: string) {
            return { src: file === 'outer' ? 'x{% include "inner" %}y' : src, path: file, noCache: true }
          }
        })(),
      ),
    )
    expect(() => loaderEnv.render('outer', { n })).toThrow(SyncRenderError)
    expect(() => loaderEnv.getTemplate('inner').render({ n })).toThrow(SyncRenderError)
    // The fragment never ran, and the async form still works after the sync attempts.
    expect(await render(env, src, { n })).toBe('a<p>1</p>b')
    // A template without the tag still renders synchronously.
    expect(env.renderString('plain {{ 1 + 1 }}', {})).toBe('plain 2')
  })

  it('caches a fragment per vary-on value, keeping two users apart', async () => {
    const name = uniqueKey('sidebar')
    const src = `{% cache 500 ${name} request.user.username %}<p>{{ request.user.username }} #{{ n() }}</p>{% endcache %}`
    const n = counter()
    const alice = { request: { user: { username: 'alice' } }, n }
    const bob = { request: { user: { username: 'bob' } }, n }
    expect(await render(env, src, alice)).toBe('<p>alice #1</p>')
    expect(await render(env, src, alice)).toBe('<p>alice #1</p>')
    expect(await render(env, src, bob)).toBe('<p>bob #2</p>')
    expect(await render(env, src, alice)).toBe('<p>alice #1</p>')
    // Stored under Django's key, in the default alias.
    const key = makeTemplateFragmentKey(name, ['alice'])
    expect(await caches.get('default').get(key)).toBe('<p>alice #1</p>')
  })

  it('does not escape the cached HTML twice, and escapes variables once', async () => {
    const name = uniqueKey('esc')
    const src = `{% cache 60 ${name} %}<b>{{ x }}</b>{% endcache %}`
    expect(await render(env, src, { x: '<i>' })).toBe('<b>&lt;i&gt;</b>')
    expect(await render(env, src, { x: 'other' })).toBe('<b>&lt;i&gt;</b>')
  })

  it('uses the alias named by using="…" and not the default', async () => {
    const name = uniqueKey('local')
    const n = counter()
    const src = `{% cache 500 ${name} who using="localcache" %}{{ who }}{{ n() }}{% endcache %}`
    expect(await render(env, src, { who: 'a', n })).toBe('a1')
    expect(await render(env, src, { who: 'a', n })).toBe('a1')
    const key = makeTemplateFragmentKey(name, ['a'])
    expect(await caches.get('localcache').get(key)).toBe('a1')
    expect(await caches.get('default').has(key)).toBe(false)
  })

  it('tags="a b" stores the fragment with tags: invalidateTags drops it (docs/contract.md rule 17)', async () => {
    const name = uniqueKey('tagged')
    const n = counter()
    const src = `{% cache 500 ${name} who using="localcache" tags="menu article:42" %}{{ who }}{{ n() }}{% endcache %}`
    expect(await render(env, src, { who: 'a', n })).toBe('a1')
    expect(await render(env, src, { who: 'a', n })).toBe('a1')
    const key = makeTemplateFragmentKey(name, ['a'])
    const info = []
    for await (const e of caches.get('localcache').entries()) if (e.key === key) info.push(e)
    expect(info[0]?.tags).toEqual(['article:42', 'menu'])
    await caches.get('localcache').invalidateTags(['article:42'])
    expect(await render(env, src, { who: 'a', n })).toBe('a2')
  })

  it('prefers the template_fragments alias when it is configured', async () => {
    configureCaches({
      default: { backend: 'locmem', location: 'nunjucks-default-2' },
      template_fragments: { backend: 'locmem', location: 'nunjucks-fragments' },
      localcache: { backend: 'locmem', location: 'nunjucks-local' },
    })
    try {
      const name = uniqueKey('tf')
      expect(await render(env, `{% cache 60 ${name} %}tf{% endcache %}`, {})).toBe('tf')
      const key = makeTemplateFragmentKey(name)
      expect(await caches.get('template_fragments').get(key)).toBe('tf')
      expect(await caches.get('default').has(key)).toBe(false)
    } finally {
      configureCaches({
        default: { backend: 'locmem', location: 'nunjucks-default' },
        localcache: { backend: 'locmem', location: 'nunjucks-local' },
      })
    }
  })

  it('rejects an unknown alias with Django’s message', async () => {
    const src = `{% cache 60 ${uniqueKey('x')} using="nope" %}x{% endcache %}`
    await expect(render(env, src, {})).rejects.toThrow("Invalid cache name specified for cache tag: 'nope'")
  })

  it('rejects a non-integer timeout, from a literal or a variable', async () => {
    const name = uniqueKey('bad')
    await expect(render(env, `{% cache "abc" ${name} %}x{% endcache %}`, {})).rejects.toThrow(
      `"cache" tag got a non-integer timeout value: 'abc'`,
    )
    await expect(render(env, `{% cache t ${name} %}x{% endcache %}`, { t: [] })).rejects.toThrow(
      'non-integer timeout value',
    )
    await expect(render(env, `{% cache missing ${name} %}x{% endcache %}`, {})).rejects.toThrow(
      "non-integer timeout value: ''",
    )
  })

  it('takes the timeout from a variable, and None/none/null cache forever', async () => {
    for (const t of ['None', 'none', 'null', 'forever']) {
      const name = uniqueKey('forever')
      const n = counter()
      const src = `{% cache ${t} ${name} %}{{ n() }}{% endcache %}`
      expect(await render(env, src, { n, forever: null })).toBe('1')
      expect(await render(env, src, { n, forever: null })).toBe('1')
      const entries = []
      for await (const e of caches.get('default').entries({ prefix: makeTemplateFragmentKey(name) }))
        entries.push(e)
      expect(entries).toHaveLength(1)
      expect(entries[0]?.expiresAt).toBeNull()
    }
    const name = uniqueKey('var')
    const n = counter()
    const src = `{% cache t ${name} %}{{ n() }}{% endcache %}`
    expect(await render(env, src, { n, t: '300' })).toBe('1')
    expect(await render(env, src, { n, t: 300 })).toBe('1')
  })

  it('re-renders every time with a timeout of 0', async () => {
    const name = uniqueKey('zero')
    const n = counter()
    const src = `{% cache 0 ${name} %}{{ n() }}{% endcache %}`
    expect(await render(env, src, { n })).toBe('1')
    expect(await render(env, src, { n })).toBe('2')
  })

  it('keeps the fragment name literal (quotes included) and needs two arguments', async () => {
    const n = counter()
    const name = uniqueKey('q')
    expect(await render(env, `{% cache 60 "${name}" %}{{ n() }}{% endcache %}`, { n })).toBe('1')
    expect(await caches.get('default').get(makeTemplateFragmentKey(`"${name}"`))).toBe('1')
    await expect(render(env, '{% cache 60 %}x{% endcache %}', {})).rejects.toThrow(
      "'cache' tag requires at least 2 arguments.",
    )
  })

  it('works with env.render and file templates, and inside loops', async () => {
    const loaderEnv = installCacheTag(
      new nunjucks.Environment(
        new (class extends nunjucks.Loader {
          getSource(name: string) {
            return {
              src: `{% for u in users %}{% cache 60 ${name} u %}[{{ u }}]{% endcache %}{% endfor %}`,
              path: name,
              noCache: true,
            }
          }
        })() as unknown as nunjucks.ILoader,
      ),
    )
    const out = await new Promise<string>((resolve, reject) =>
      loaderEnv.render(uniqueKey('page'), { users: ['a', 'b', 'a'] }, (e, s) =>
        e ? reject(e) : resolve(s ?? ''),
      ),
    )
    expect(out).toBe('[a][b][a]')
  })
})
