import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { freePort } from '../../packages/node/test/support/free-port.ts'

// The runnable examples the README and docs point at (playground/examples) still run and say
// what the docs say they do.

const root = join(import.meta.dirname, '..', '..')
const node = ['--conditions=@cachework/source', '--import', 'tsx']

function run(example: string): string {
  const r = spawnSync(process.execPath, [...node, join('playground', 'examples', example)], {
    cwd: root,
    // Plain text: Playwright's environment asks for colours, which console.log would add.
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  })
  expect(r.status, `${example} failed:\n${r.stdout}\n${r.stderr}`).toBe(0)
  return r.stdout
}

test('core-basics.ts: values, incr, versions, single-flight getOrSet, events', () => {
  const out = run('core-basics.ts')
  expect(out).toContain('add over a live key: false')
  expect(out).toContain('incr: 11 decr by 5: 6')
  expect(out).toContain("ERR_CACHE_KEY_NOT_FOUND Key 'missing' not found")
  expect(out).toContain('version 1: undefined | version 2: v1 data')
  expect(out).toContain('computed 1 time(s)')
  expect(out).toContain('made key: site1:1:s1')
})

test('core-http.ts: cachePage hit with Age, invalidation by getCacheKey, Django 6.1 fragment key', () => {
  const out = run('core-http.ts')
  expect(out).toContain('renders: 1')
  expect(out).toMatch(/second Cache-Control: public, max-age=900 \| Age: \d+/)
  expect(out).toContain('deleted: true')
  expect(out).toContain('renders after invalidation: 2')
  expect(out).toContain('fragment key: template.cache.sidebar.6496a001d04a089af74acbb2476031e4')
})

test('express-site.ts: cachePage, cacheMiddleware, neverCache and the Nunjucks tag in Express', async () => {
  const port = await freePort()
  let child: ChildProcess | undefined
  try {
    child = spawn(process.execPath, [...node, join('playground', 'examples', 'express-site.ts')], {
      cwd: root,
      env: { ...process.env, PORT: String(port) },
      stdio: 'ignore',
    })
    const base = `http://127.0.0.1:${port}`
    await expect
      .poll(async () => (await fetch(`${base}/me`).catch(() => undefined))?.status, { timeout: 60_000 })
      .toBe(200)
    const first = await fetch(`${base}/articles/1`)
    expect(first.headers.get('cache-control')).toBe('max-age=900')
    const body = await first.text()
    const second = await fetch(`${base}/articles/1`)
    expect(second.headers.get('age')).toMatch(/^\d+$/)
    expect(await second.text()).toBe(body)
    expect((await fetch(`${base}/me`)).headers.get('cache-control')).toContain('no-store')
    expect((await fetch(`${base}/api/time`)).headers.get('cache-control')).toBe('max-age=60')
    const sidebar = await (await fetch(`${base}/?user=bob`)).text()
    expect(await (await fetch(`${base}/?user=bob`)).text()).toBe(sidebar)
    expect(sidebar).toContain('<aside>bob at')
  } finally {
    child?.kill('SIGTERM')
  }
})

// The Fastify, Hono (middleware and cacheApp) and Koa examples (docs/frameworks.md): a cached
// route is a hit with Age on the second request, the varying route keeps one page per cookie,
// neverCache is never stored.
for (const example of ['fastify-site.ts', 'hono-site.ts', 'hono-app.ts', 'koa-site.ts']) {
  test(`${example}: cachePage hit with Age, Vary: Cookie, neverCache`, async () => {
    const port = await freePort()
    let child: ChildProcess | undefined
    try {
      child = spawn(process.execPath, [...node, join('playground', 'examples', example)], {
        cwd: root,
        env: { ...process.env, PORT: String(port) },
        stdio: 'ignore',
      })
      const base = `http://127.0.0.1:${port}`
      await expect
        .poll(async () => (await fetch(`${base}/me`).catch(() => undefined))?.status, { timeout: 60_000 })
        .toBe(200)
      const first = await fetch(`${base}/articles/1`)
      expect(first.headers.get('cache-control')).toBe('max-age=900')
      const body = await first.text()
      expect(body).toContain('<h1>Article 1</h1>')
      const second = await fetch(`${base}/articles/1`)
      expect(second.headers.get('age')).toMatch(/^\d+$/)
      expect(await second.text()).toBe(body)
      const home = await fetch(`${base}/home`, { headers: { cookie: 'u=bob' } })
      expect(home.headers.get('vary')).toContain('Cookie')
      const homeBody = await home.text()
      const again = await fetch(`${base}/home`, { headers: { cookie: 'u=bob' } })
      expect(again.headers.get('age')).toMatch(/^\d+$/)
      expect(await again.text()).toBe(homeBody)
      const me = await fetch(`${base}/me`)
      expect(me.headers.get('cache-control')).toContain('no-store')
      expect(me.headers.get('age')).toBeNull()
    } finally {
      child?.kill('SIGTERM')
    }
  })
}

test('stampede.ts: distributed lease, stale-while-revalidate, stale-if-error, XFetch, page stale window', () => {
  const out = run('stampede.ts')
  expect(out).toContain('distributed: factory ran 1 time(s) for 20 callers')
  expect(out).toContain('get() after expire: undefined')
  expect(out).toContain('during the refresh: v1 v1 v1 v1 v1')
  expect(out).toContain('after the refresh: v2')
  expect(out).toContain('error event: upstream down')
  expect(out).toContain('staleIfError answered: {"eur":1.08}')
  expect(out).toContain('beta: computed 2 times')
  expect(out).toContain('pages during the re-render: 3 stale, 1 new; renders: 2')
})
