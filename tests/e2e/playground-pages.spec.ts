import { expect, test } from '@playwright/test'
import { scriptReady } from './playground-helpers.ts'

// Server-side page caching in the playground: cachePage(900) on articles, cacheMiddleware on
// /api, and publishing (POST to the article URL) invalidating the cached page. Assertions are on
// headers, never on timing. `request` does not go through the page's service worker.

const unique = () => `t=${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`

test('an article is a miss on the first visit and a hit with Age on the second', async ({ request }) => {
  const url = `/articles/memcached-turns-20?${unique()}`
  const first = await request.get(url)
  expect(first.status()).toBe(200)
  expect(first.headers()['x-cache']).toBe('miss')
  expect(first.headers().age).toBeUndefined()
  expect(first.headers()['cache-control']).toContain('max-age=900')
  expect(first.headers().expires).toBeTruthy()

  const second = await request.get(url)
  expect(second.headers()['x-cache']).toBe('hit')
  expect(second.headers().age).toMatch(/^\d+$/)
  expect(second.headers()['cache-control']).toContain('max-age=900')
  expect(await second.text()).toBe(await first.text())
})

test('the JSON API is cached by the per-site middleware for 60 seconds', async ({ request }) => {
  const url = `/api/articles?${unique()}`
  const first = await request.get(url)
  expect(first.headers()['x-cache']).toBe('miss')
  expect(first.headers()['cache-control']).toContain('max-age=60')
  const second = await request.get(url)
  expect(second.headers()['x-cache']).toBe('hit')
  expect(second.headers().age).toMatch(/^\d+$/)
})

test('publishing an article invalidates its cached page', async ({ request }) => {
  const url = '/articles/cache-invalidation-solved'
  await request.get(url)
  const cached = await request.get(url)
  expect(cached.headers()['x-cache']).toBe('hit')
  const before = Number(/data-revision="(\d+)"/.exec(await cached.text())?.[1])

  const published = await request.post(url, { maxRedirects: 0 })
  expect(published.status()).toBe(303)

  const fresh = await request.get(url)
  expect(fresh.headers()['x-cache']).toBe('miss')
  expect(Number(/data-revision="(\d+)"/.exec(await fresh.text())?.[1])).toBe(before + 1)
  const again = await request.get(url)
  expect(again.headers()['x-cache']).toBe('hit')
})

test('the publish button shows the new revision in the browser, past the service worker', async ({
  page,
}) => {
  await page.goto('/articles/sqlite-everywhere')
  await expect(page.locator('html')).toHaveAttribute('data-sw-ready', 'true', { timeout: 30_000 })
  await page.reload()
  await scriptReady(page)
  const before = Number(await page.getByTestId('revision').textContent())
  await page.getByTestId('publish').click()
  await expect(page.getByTestId('revision')).toHaveText(String(before + 1))
  // Visiting it again shows the new revision too (neither the server nor the worker kept the old one).
  await page.goto('/articles/sqlite-everywhere')
  await expect(page.getByTestId('revision')).toHaveText(String(before + 1))
})

test('the footer shows how the page was cached', async ({ page }) => {
  const url = `/articles/offline-first-reader?${unique()}`
  await page.goto(url)
  await scriptReady(page)
  await expect(page.locator('#cache-info dd[data-header="X-Cache"]')).toHaveText('miss')
  await page.goto(`${url}&again`)
  await page.goto(url)
  await scriptReady(page)
  await expect(page.locator('#cache-info dd[data-header="Cache-Control"]')).toContainText('max-age=900')
})
