/**
 * The adapter conformance suite's shared-mode checks (docs/contract.md S7): every adapter,
 * with `cacheMiddleware({ mode: 'shared' })` placed before its views, answers a stale
 * `stale-while-revalidate` page at once and revalidates it in the background, once for many
 * stale requests, with the request's URL and varying headers and without its credentials.
 * Ordering is shown with a gate the test opens after the stale answers arrived, never with
 * timings; the clock is injected.
 */
import type { CacheMiddlewareOptions } from '@cachework/core/http'
import { expect, it } from 'vitest'
import type { ConformanceRequest, ConformanceRoute } from './adapter-conformance.ts'

/** How the suite starts a server for the given routes and options, and builds a route's URL. */
export type ServeRoutes = (
  routes: ConformanceRoute[],
  options: CacheMiddlewareOptions,
) => Promise<(route: ConformanceRoute, query?: string) => string>

/** Poll `check` (bounded: about 10 s) until it holds; the test fails if it never does. */
async function eventually(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('conformance: condition never held')
}

/** Register the shared-mode checks inside an adapter's conformance `describe`. */
export function sharedModeChecks(serve: ServeRoutes, path: (name: string) => string): void {
  it('shared mode: stale-while-revalidate answers stale at once and revalidates once, in the background', async () => {
    let now = Date.UTC(2026, 0, 1, 12, 0, 0)
    let open = (): void => {}
    const gate = new Promise<void>((r) => {
      open = r
    })
    const seen: ConformanceRequest[] = []
    const route: ConformanceRoute = {
      path: path('swr'),
      view: async (req) => {
        seen.push(req)
        // The revalidation blocks until the test has every stale answer in hand.
        if (seen.length === 2) await gate
        return {
          headers: { 'cache-control': 'max-age=1, stale-while-revalidate=600', vary: 'x-variant' },
          body: `v${seen.length}`,
        }
      },
    }
    const url = await serve([route], { mode: 'shared', now: () => now })
    const ask = async (extra: Record<string, string> = {}) => {
      const r = await fetch(url(route, '?q=1'), {
        headers: { 'x-variant': 'a', ...extra },
        redirect: 'manual',
      })
      return `${r.status} ${await r.text()}`
    }
    expect(await ask()).toBe('200 v1')
    now += 5_000
    // Ten stale requests, with credentials: each is answered from the store while the view waits.
    const stale = await Promise.all(
      Array.from({ length: 10 }, () =>
        ask({ cookie: 'sid=secret', authorization: 'Bearer secret', 'x-who': 'b' }),
      ),
    )
    expect(stale).toEqual(Array.from({ length: 10 }, () => '200 v1'))
    // The revalidation started (it is waiting on the gate), after the stale answers went out.
    await eventually(() => seen.length === 2)
    open()
    await eventually(async () => (await ask()) === '200 v2')
    expect(seen.length).toBe(2)
    const again = seen[1] as ConformanceRequest
    expect([again.method, again.url]).toEqual(['GET', `${route.path}?q=1`])
    expect(again.headers['x-variant']).toBe('a')
    expect(again.headers['x-who']).toBe('b')
    expect(again.headers.cookie).toBeUndefined()
    expect(again.headers.authorization).toBeUndefined()
  })
}
