// Django's condition / etag / last_modified (django/views/decorators/http.py) for Fetch handlers:
// a matching precondition is answered without running the view (counted), headers are added.
import { describe, expect, it } from 'vitest'
import { condition, etag, lastModified, quoteEtag } from '../src/http/index.ts'

const LM = Date.UTC(2026, 0, 1, 12, 0, 0)
const LM_HTTP = new Date(LM).toUTCString()

function counted() {
  const state = { runs: 0 }
  const view = async (_req: Request, id: string) => {
    state.runs++
    return new Response(`page ${id}`)
  }
  return { state, view }
}
const req = (headers: Record<string, string> = {}, method = 'GET') =>
  new Request('http://127.0.0.1/x', { method, headers })

describe('condition / etag / lastModified', () => {
  it('etag: a matching If-None-Match is a 304 without running the view; the tag is quoted and added', async () => {
    const { state, view } = counted()
    const page = etag((_r: Request, id: string) => `v-${id}`)(view)
    const first = await page(req(), '7')
    expect(first.headers.get('etag')).toBe('"v-7"')
    expect(await first.text()).toBe('page 7')
    const again = await page(req({ 'if-none-match': '"v-7"' }), '7')
    expect(again.status).toBe(304)
    expect(again.headers.get('etag')).toBe('"v-7"')
    expect(state.runs).toBe(1)
    // Weak comparison for If-None-Match.
    expect((await page(req({ 'if-none-match': 'W/"v-7"' }), '7')).status).toBe(304)
  })

  it('lastModified: If-Modified-Since at or after it is a 304; Last-Modified is added', async () => {
    const { state, view } = counted()
    const page = lastModified(() => new Date(LM + 500))(view)
    const first = await page(req(), '1')
    expect(first.headers.get('last-modified')).toBe(LM_HTTP)
    expect((await page(req({ 'if-modified-since': LM_HTTP }), '1')).status).toBe(304)
    expect((await page(req({ 'if-modified-since': new Date(LM - 1000).toUTCString() }), '1')).status).toBe(
      200,
    )
    expect(state.runs).toBe(2)
  })

  it('a failed If-Match or If-Unmodified-Since is a 412 without running the view; unsafe methods too', async () => {
    const { state, view } = counted()
    const page = condition({ etag: () => '"a"', lastModified: () => LM })(view)
    expect((await page(req({ 'if-match': '"b"' }, 'PUT'), '1')).status).toBe(412)
    expect((await page(req({ 'if-match': '"a"' }, 'PUT'), '1')).status).toBe(200)
    expect((await page(req({ 'if-unmodified-since': new Date(LM - 5000).toUTCString() }), '1')).status).toBe(
      412,
    )
    expect((await page(req({ 'if-none-match': '"a"' }, 'POST'), '1')).status).toBe(412)
    expect(state.runs).toBe(1)
  })

  it('If-None-Match wins over If-Modified-Since; no validators means the view always runs', async () => {
    const { state, view } = counted()
    const page = condition({ etag: () => '"a"', lastModified: () => LM })(view)
    expect((await page(req({ 'if-none-match': '"b"', 'if-modified-since': LM_HTTP }), '1')).status).toBe(200)
    const none = condition({ etag: () => null })(view)
    expect((await none(req({ 'if-none-match': '*' }), '1')).status).toBe(200)
    expect(state.runs).toBe(2)
  })

  it('quoteEtag is Django’s quote_etag', () => {
    expect(quoteEtag('abc')).toBe('"abc"')
    expect(quoteEtag('"abc"')).toBe('"abc"')
    expect(quoteEtag('W/"abc"')).toBe('W/"abc"')
  })
})
