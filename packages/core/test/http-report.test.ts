/**
 * The response cache tells inspection tools what it decided (http/report.ts): hits, misses,
 * stored pages, and each reason a response was not stored (Django's UpdateCacheMiddleware rules).
 */
import { describe, expect, it } from 'vitest'
import { cachePage, getCacheKey, onPageCacheReport, type PageCacheReport } from '../src/http/index.ts'
import { freshCache, get } from './support/http-setup.ts'

function respond(status: number, headers: Record<string, string>, body = 'x'): () => Response {
  return () => new Response(status === 304 ? null : body, { status, headers })
}

describe('page-cache reports', () => {
  it('reports miss, store, hit, and not-stored with its reason; stored pages carry their URL', async () => {
    const got: PageCacheReport[] = []
    const off = onPageCacheReport((r) => got.push(r))
    try {
      const cache = freshCache()
      const page = (h: () => Response) => cachePage(60, { cache })(h)
      await page(respond(200, {}))(get('http://example.com/ok'))
      await page(respond(200, {}))(get('http://example.com/ok'))
      const cases: Array<[string, () => Response, string]> = [
        ['private', respond(200, { 'cache-control': 'private' }), 'private'],
        ['nostore', respond(200, { 'cache-control': 'no-store' }), 'no-store'],
        ['cookie', respond(200, { 'set-cookie': 'a=1', vary: 'Cookie' }), 'set-cookie'],
        ['star', respond(200, { vary: '*' }), 'vary-star'],
        ['status', respond(404, {}), 'status'],
      ]
      for (const [path, h] of cases) await page(h)(get(`http://example.com/${path}`))
      const big = cachePage(60, { cache, maxBodyBytes: 4 })(
        respond(200, { 'content-length': '100' }, 'y'.repeat(100)),
      )
      await big(get('http://example.com/big'))
      const by = (url: string) => got.filter((r) => r.url === url).map((r) => [r.type, r.reason ?? ''])
      expect(by('http://example.com/ok')).toEqual([
        ['miss', ''],
        ['store', ''],
        ['hit', ''],
      ])
      for (const [path, , reason] of cases)
        expect(by(`http://example.com/${path}`)).toEqual([
          ['miss', ''],
          ['not-stored', reason],
        ])
      expect(by('http://example.com/big')).toEqual([
        ['miss', ''],
        ['not-stored', 'size'],
      ])
      expect(got.every((r) => r.alias === cache.alias && r.method === 'GET')).toBe(true)
      const key = await getCacheKey(get('http://example.com/ok'), { cache })
      expect(await cache.get(key as string)).toMatchObject({ url: 'http://example.com/ok', method: 'GET' })
    } finally {
      off()
    }
  })
})
