/**
 * `registerResponseCache` when the browser refuses the worker script (issue 12): a script served
 * with a MIME type that is not JavaScript, or a missing one, rejects with
 * `ServiceWorkerUnavailableError` (stable `code`, the browser's reason kept), never a raw
 * `DOMException`/`TypeError`. Real Chromium (vitest browser mode).
 */
import { describe, expect, it } from 'vitest'
import { registerResponseCache, ServiceWorkerUnavailableError } from '../src/register.ts'

async function rejection(url: string): Promise<unknown> {
  try {
    await registerResponseCache(url, { type: 'classic', timeoutMs: 5000 })
  } catch (e) {
    return e
  }
  return undefined
}

describe('registerResponseCache: a script the browser refuses', () => {
  it('a worker served as text/plain rejects with ServiceWorkerUnavailableError naming the MIME type', async () => {
    const url = new URL('./fixtures/worker-as-text.txt', import.meta.url).href
    const check = await fetch(url)
    expect(check.headers.get('content-type')).toMatch(/^text\/plain/)
    const e = await rejection(url)
    expect(e).toBeInstanceOf(ServiceWorkerUnavailableError)
    const err = e as ServiceWorkerUnavailableError
    expect(err.code).toBe('SERVICE_WORKER_UNAVAILABLE')
    expect(err.message).toMatch(/MIME type/)
    expect(err.cause).toBeInstanceOf(DOMException)
    expect((await navigator.serviceWorker.getRegistrations()).length).toBe(0)
  })

  it('a missing worker script rejects with ServiceWorkerUnavailableError', async () => {
    const e = await rejection(new URL('./fixtures/no-such-worker.js', import.meta.url).href)
    expect(e).toBeInstanceOf(ServiceWorkerUnavailableError)
    expect((e as Error).message).toMatch(/Could not register the service worker/)
  })
})
