import { expect, test } from '@playwright/test'
import { loginAs } from './playground-helpers.ts'

// The playground as `npm start` serves it (playwright.config.ts starts it on port 5174).

test("two readers see their own sidebar fragment, never each other's", async ({ browser }) => {
  const alice = await browser.newContext()
  const bob = await browser.newContext()
  try {
    const a = await alice.newPage()
    const b = await bob.newPage()
    await loginAs(a, 'alice')
    await loginAs(b, 'bob')
    // loginAs rendered each reader's sidebar once; these are the cached fragments.
    await a.reload()
    await b.reload()
    await expect(a.getByTestId('sidebar')).toHaveAttribute('data-user', 'alice')
    await expect(a.getByTestId('sidebar')).toContainText('Picked for alice')
    await expect(b.getByTestId('sidebar')).toHaveAttribute('data-user', 'bob')
    await expect(b.getByTestId('sidebar')).toContainText('Picked for bob')
    await expect(b.getByTestId('sidebar')).not.toContainText('alice')
    // The same fragment again: the render time inside it has not changed.
    const first = await a.getByTestId('sidebar').locator('time').textContent()
    await a.reload()
    await expect(a.getByTestId('sidebar').locator('time')).toHaveText(first ?? '')
  } finally {
    await alice.close()
    await bob.close()
  }
})

test('trending stats are computed once and then served from the cache', async ({ request }) => {
  const first = await (await request.get('/api/trending')).json()
  const second = await (await request.get('/api/trending')).json()
  expect(second.computedAt).toBe(first.computedAt)
  expect(second.items.length).toBeGreaterThan(0)
})
