/**
 * The response-cache engine under concurrency and with awkward bodies and storage: single-flight,
 * size limits, slow and endless streams, an unreachable cache (docs/contract.md §3).
 */
import { describe, expect, it } from 'vitest'
import { type Cache, CacheUnavailableError } from '../src/index.ts'
import { BaseCache, type RawEntry, type StoredEntry } from '../src/backend.ts'
import { cachePage, getCacheKey, isStoredResponse } from '../src/http/index.ts'
import { counting, freshCache, get } from './support/http-setup.ts'

describe('single-flight', () => {
  it('200 concurrent misses for one page run the handler once; each gets its own body', async () => {
    const cache = freshCache()
    let runs = 0
    const view = cachePage(60, { cache })(async () => {
      runs++
      await new Promise((r) => setTimeout(r, 50))
      return new Response(`shared ${runs}`, { headers: { 'Content-Type': 'text/plain' } })
    })
    const responses = await Promise.all(Array.from({ length: 200 }, () => view(get('http://example.com/sf'))))
    expect(runs).toBe(1)
    const bodies = await Promise.all(responses.map((r) => r.text()))
    expect(new Set(bodies)).toEqual(new Set(['shared 1']))
    expect(responses.every((r) => r.status === 200 && r.headers.get('content-type') === 'text/plain')).toBe(
      true,
    )
  })

  it('waiters never take another variant or an uncacheable response', async () => {
    const cache = freshCache()
    let runs = 0
    const view = cachePage(60, { cache })(async (r) => {
      runs++
      await new Promise((res) => setTimeout(res, 30))
      return new Response(`for ${r.headers.get('cookie')}`, { headers: { Vary: 'Cookie' } })
    })
    const cookies = ['a=1', 'a=2', 'a=3']
    const out = await Promise.all(cookies.map((c) => view(get('http://example.com/v', { Cookie: c }))))
    expect(await Promise.all(out.map((r) => r.text()))).toEqual(cookies.map((c) => `for ${c}`))
    expect(runs).toBe(3)

    let privRuns = 0
    const priv = cachePage(60, { cache })(async () => {
      const n = ++privRuns
      await new Promise((res) => setTimeout(res, 30))
      return new Response(`secret ${n}`, { headers: { 'Cache-Control': 'private' } })
    })
    const p = await Promise.all([1, 2, 3].map(() => priv(get('http://example.com/priv'))))
    expect(privRuns).toBe(3)
    expect(new Set(await Promise.all(p.map((r) => r.text()))).size).toBe(3)
  })
})

describe('bodies', () => {
  it('a body over maxBodyBytes is served whole but not stored', async () => {
    const cache = freshCache()
    const { state, handler } = counting({}, () => 'x'.repeat(11))
    const view = cachePage(60, { cache, maxBodyBytes: 10 })(handler)
    expect(await (await view(get('http://example.com/big'))).text()).toBe('x'.repeat(11))
    await view(get('http://example.com/big'))
    expect(state.runs).toBe(2)
  })

  it('a stream of unknown size over the limit streams through, read once, uncached', async () => {
    const cache = freshCache()
    let runs = 0
    const chunk = new Uint8Array(1024).fill(65)
    const view = cachePage(60, { cache, maxBodyBytes: 4096 })(async () => {
      runs++
      let sent = 0
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 10) controller.enqueue(chunk)
          else controller.close()
        },
      })
      return new Response(body)
    })
    for (let i = 0; i < 2; i++) {
      const bytes = new Uint8Array(await (await view(get('http://example.com/stream'))).arrayBuffer())
      expect(bytes.length).toBe(10 * 1024)
      expect(bytes.every((b) => b === 65)).toBe(true)
    }
    expect(runs).toBe(2)
  })

  it('a stream within the limit is buffered and stored', async () => {
    const cache = freshCache()
    const { state, handler } = counting()
    const view = cachePage(60, { cache })(async (r) => {
      await handler(r)
      const enc = new TextEncoder()
      return new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(enc.encode('part1 '))
            c.enqueue(enc.encode('part2'))
            c.close()
          },
        }),
      )
    })
    expect(await (await view(get('http://example.com/s'))).text()).toBe('part1 part2')
    expect(await (await view(get('http://example.com/s'))).text()).toBe('part1 part2')
    expect(state.runs).toBe(1)
  })
})

/** Storage that is never reachable: every primitive rejects with `CacheUnavailableError`. */
class UnreachableCache extends BaseCache {
  static override readonly backendName: string = 'unreachable'
  protected override readonly usesIO: boolean
  constructor(usesIO: boolean) {
    super({ location: 'nowhere' }, 'down')
    this.usesIO = usesIO
  }
  private down(): never {
    throw new CacheUnavailableError('storage unreachable (test)')
  }
  protected async _get(_k: string): Promise<StoredEntry | undefined> {
    this.down()
  }
  protected async _set(_k: string, _v: unknown, _e: number | null): Promise<boolean> {
    this.down()
  }
  protected async _add(_k: string, _v: unknown, _e: number | null): Promise<boolean> {
    this.down()
  }
  protected async _touch(_k: string, _e: number | null): Promise<boolean> {
    this.down()
  }
  protected async _delete(_k: string): Promise<boolean> {
    this.down()
  }
  protected async _clear(): Promise<void> {
    this.down()
  }
  // biome-ignore lint/correctness/useYield: an unreachable store yields nothing
  protected async *_entries(): AsyncIterable<RawEntry> {
    this.down()
  }
}

describe('an unavailable cache is a miss', () => {
  it.each([true, false])('the page is served uncached (usesIO %s)', async (usesIO) => {
    const cache: Cache = new UnreachableCache(usesIO)
    const errors: unknown[] = []
    const { state, handler } = counting({ headers: { ETag: '"x"' } })
    const view = cachePage(60, { cache, onError: (e) => errors.push(e) })(handler)
    for (let i = 1; i <= 3; i++) {
      const r = await view(get('http://example.com/down'))
      expect(r.status).toBe(200)
      expect(await r.text()).toBe(`body #${i}`)
    }
    expect(state.runs).toBe(3)
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.every((e) => e instanceof CacheUnavailableError)).toBe(true)
  })
})

describe('single-flight and credentials', () => {
  it('concurrent requests with different Authorization never share a response', async () => {
    const cache = freshCache()
    let runs = 0
    const view = cachePage(60, { cache })(async (r) => {
      runs++
      await new Promise((res) => setTimeout(res, 30))
      return new Response(`for ${r.headers.get('authorization')}`)
    })
    const users = ['Bearer alice', 'Bearer bob', 'Bearer alice']
    const out = await Promise.all(
      users.map((a) => view(get('http://example.com/acct', { Authorization: a }))),
    )
    expect(await Promise.all(out.map((r) => r.text()))).toEqual(users.map((a) => `for ${a}`))
    expect(out.every((r) => r.headers.get('vary') === 'Authorization')).toBe(true)
    // The second alice waited on the first and took a copy; bob ran his own.
    expect(runs).toBe(2)
  })
})

describe('slow and endless streams never block the client', () => {
  const enc = new TextEncoder()
  async function readAll(r: Response): Promise<string> {
    return new TextDecoder().decode(new Uint8Array(await r.arrayBuffer()))
  }
  async function eventually(check: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (await check()) return
      await new Promise((r) => setTimeout(r, 25))
    }
    throw new Error('condition not met within 5 s')
  }

  it('a slow body is streamed as it comes, then stored once it ends within the limit', async () => {
    const cache = freshCache()
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => {
      release = r
    })
    let runs = 0
    const view = cachePage(60, { cache, streamAfterMs: 10 })(() => {
      runs++
      return new Response(
        new ReadableStream<Uint8Array>({
          async start(c) {
            c.enqueue(enc.encode('first,'))
            await gate
            c.enqueue(enc.encode('second'))
            c.close()
          },
        }),
      )
    })
    // Resolves although the body has not ended, and the first chunk is readable already.
    const r = await view(get('http://example.com/slow'))
    const reader = (r.body as ReadableStream<Uint8Array>).getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first,')
    release()
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('second')
    expect((await reader.read()).done).toBe(true)
    await eventually(async () => (await getCacheKey(get('http://example.com/slow'), { cache })) !== undefined)
    await eventually(async () =>
      isStoredResponse(
        await cache.get((await getCacheKey(get('http://example.com/slow'), { cache })) as string),
      ),
    )
    expect(await readAll(await view(get('http://example.com/slow')))).toBe('first,second')
    expect(runs).toBe(1)
  })

  it('an endless stream is delivered live and can be cancelled; nothing is stored', async () => {
    const cache = freshCache()
    let upstreamCancelled = false
    let n = 0
    const view = cachePage(60, { cache, streamAfterMs: 10 })(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            async pull(c) {
              await new Promise((r) => setTimeout(r, 5))
              c.enqueue(enc.encode(`tick ${n++};`))
            },
            cancel() {
              upstreamCancelled = true
            },
          }),
        ),
    )
    const r = await view(get('http://example.com/ticks'))
    const reader = (r.body as ReadableStream<Uint8Array>).getReader()
    let text = ''
    while (!text.includes('tick 3;')) text += new TextDecoder().decode((await reader.read()).value)
    expect(text.startsWith('tick 0;tick 1;tick 2;tick 3;')).toBe(true)
    await reader.cancel()
    await eventually(async () => upstreamCancelled)
    expect(await getCacheKey(get('http://example.com/ticks'), { cache })).toBeUndefined()
  })

  it('a streamed body that outgrows the limit arrives whole, uncached; one that fails reaches the client', async () => {
    const cache = freshCache()
    const chunk = new Uint8Array(1000).fill(66)
    let runs = 0
    const view = cachePage(60, { cache, streamAfterMs: 5, maxBodyBytes: 2500 })(() => {
      runs++
      let sent = 0
      return new Response(
        new ReadableStream<Uint8Array>({
          async pull(c) {
            await new Promise((r) => setTimeout(r, 10))
            if (sent++ < 5) c.enqueue(chunk)
            else c.close()
          },
        }),
      )
    })
    for (let i = 0; i < 2; i++) {
      const bytes = new Uint8Array(await (await view(get('http://example.com/grow'))).arrayBuffer())
      expect(bytes.length).toBe(5000)
      expect(bytes.every((b) => b === 66)).toBe(true)
    }
    expect(runs).toBe(2)

    const failing = cachePage(60, { cache, streamAfterMs: 5 })(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            async start(c) {
              c.enqueue(enc.encode('partial'))
              await new Promise((r) => setTimeout(r, 20))
              c.error(new Error('upstream broke'))
            },
          }),
        ),
    )
    const f = await failing(get('http://example.com/broken'))
    await expect(f.text()).rejects.toThrow()
    expect(await getCacheKey(get('http://example.com/broken'), { cache })).toBeUndefined()
  })
})

describe('what a stored page holds', () => {
  it('connection-specific headers are not stored (RFC 9111 §3.1)', async () => {
    const cache = freshCache()
    const view = cachePage(60, { cache })(
      () =>
        new Response('x', {
          headers: { Connection: 'close, X-Hop', 'X-Hop': '1', 'Keep-Alive': 'timeout=5', 'X-Kept': 'yes' },
        }),
    )
    await view(get('http://example.com/hop'))
    const stored = await cache.get((await getCacheKey(get('http://example.com/hop'), { cache })) as string)
    expect(isStoredResponse(stored)).toBe(true)
    const names = (stored as { headers: [string, string][] }).headers.map(([n]) => n)
    expect(names).toContain('x-kept')
    expect(names.filter((n) => ['connection', 'x-hop', 'keep-alive'].includes(n))).toEqual([])
  })
})
