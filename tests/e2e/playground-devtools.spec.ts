import { expect, test } from '@playwright/test'
import { loginAs, scriptReady } from './playground-helpers.ts'

// In development (`npm start` runs the dev server), the devtools panel lists the caches of the
// server (same process as Vite), of the page (IndexedDB) and of the service worker.

test('the devtools panel lists server, page and worker caches with their entries', async ({ page }) => {
  test.setTimeout(120_000)
  await loginAs(page, 'alice') // fills template_fragments (db) and default (locmem: trending)
  await page.goto('/articles/memcached-turns-20') // fills pages (file)
  await expect(page.locator('html')).toHaveAttribute('data-sw-ready', 'true', { timeout: 30_000 })
  await scriptReady(page)
  await page.getByTestId('save').click() // fills the page's `saved` (indexeddb)
  await expect(page.getByTestId('save')).toHaveText('Saved ✓')
  await page.goto('/saved') // through the worker: fills its response cache
  await expect(page.getByTestId('saved-list')).toContainText('Memcached turns twenty')

  await page.locator('.cw-toggle').click()
  const panel = page.locator('.cw-panel')
  await expect(panel).toBeVisible()
  await panel.getByRole('tab', { name: 'Caches & charts' }).click()
  const card = (source: string, alias: string) =>
    panel.locator(`.cw-card[data-source="${source}"][data-alias="${alias}"]`)
  for (const [source, alias] of [
    ['vite', 'pages'],
    ['vite', 'template_fragments'],
    ['vite', 'default'],
    ['page', 'saved'],
    ['sw', 'responses'],
  ] as const) {
    await expect(card(source, alias)).toBeVisible({ timeout: 20_000 })
    await expect
      .poll(async () => Number(await card(source, alias).locator('[data-stat="entries"]').textContent()), {
        timeout: 20_000,
      })
      .toBeGreaterThan(0)
  }
  // The server's page-cache entry is found by its Django-shaped key and shown as the URL it stands for.
  await panel.getByRole('tab', { name: 'Entries' }).click()
  await panel.getByLabel('filter').fill('cache_page')
  const pageRow = panel.locator('.cw-row[data-url$="/articles/memcached-turns-20"]').first()
  await expect(pageRow).toContainText('GET http://127.0.0.1:')
  await expect(pageRow).toHaveAttribute('data-key', /^views\.decorators\.cache\.cache_page\./)
})
