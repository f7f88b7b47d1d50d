import { expect, type Page } from '@playwright/test'

/** Wait until the page script has run (buttons wired, footer filled). */
export async function scriptReady(page: Page): Promise<void> {
  await expect(page.locator('html')).toHaveAttribute('data-script-ready', 'true', { timeout: 30_000 })
}

/** Log in as one of the playground's demo readers through the masthead form. */
export async function loginAs(page: Page, user: 'alice' | 'bob'): Promise<void> {
  await page.goto('/')
  await page.getByRole('button', { name: user, exact: true }).click()
  await expect(page.getByTestId('greeting')).toHaveText(user)
}

/** A slug unique to this test, so tests never share a cached article page. */
export const ARTICLES = [
  'memcached-turns-20',
  'cache-invalidation-solved',
  'sqlite-everywhere',
  'offline-first-reader',
]
