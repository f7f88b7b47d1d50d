import { expect, test } from '@playwright/test'
import { scriptReady } from './playground-helpers.ts'

// The reader's IndexedDB caches in the playground (src/reader.ts), in real Chromium.

test('"Save for later" keeps an article in IndexedDB and the Saved page lists it', async ({ page }) => {
  await page.goto('/articles/sqlite-everywhere')
  await scriptReady(page)
  await page.getByTestId('save').click()
  await expect(page.getByTestId('save')).toHaveText('Saved ✓')
  await page.goto('/saved')
  const item = page.getByTestId('saved-list').locator('li[data-slug="sqlite-everywhere"]')
  await expect(item).toContainText('SQLite is now in more places')
  // It lives in the indexeddb cache named courier-saved.
  const names = await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name))
  expect(names).toContain('courier-saved')
})

test('the headline list is fetched once, then read from the client-side cache', async ({ page }) => {
  await page.goto('/saved')
  await expect(page.getByTestId('client-headlines')).toHaveAttribute('data-from-cache', 'false')
  await page.reload()
  await expect(page.getByTestId('client-headlines')).toHaveAttribute('data-from-cache', 'true')
  await expect(page.getByTestId('client-headlines')).toContainText('Memcached turns twenty')
})
