import { expect, test } from '@playwright/test'

// The playground's service worker (src/sw.ts, cachework's response cache): pages seen online
// still load offline.

test('an article seen online still loads offline, served by the service worker', async ({
  page,
  context,
}) => {
  await page.goto('/articles/offline-first-reader')
  await expect(page.locator('html')).toHaveAttribute('data-sw-ready', 'true', { timeout: 30_000 })
  // The first load happened before the worker controlled the page; this one goes through it.
  const online = await page.goto('/articles/offline-first-reader')
  expect(online?.fromServiceWorker()).toBe(true)
  await expect(page.getByTestId('article')).toContainText('offline-first news reader')

  await context.setOffline(true)
  try {
    const offline = await page.goto('/articles/offline-first-reader')
    expect(offline?.status()).toBe(200)
    expect(offline?.fromServiceWorker()).toBe(true)
    await expect(page.getByTestId('article')).toContainText('offline-first news reader')
    // A page never seen is not invented.
    const unseen = await page.goto('/articles/sqlite-everywhere').catch((e: Error) => e)
    expect(unseen instanceof Error || (unseen?.status() ?? 0) >= 500).toBe(true)
  } finally {
    await context.setOffline(false)
  }
})
