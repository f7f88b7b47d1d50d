/**
 * The Vite proxy to a separate server: a token mismatch explains itself (where each side took
 * its token, how to share one), against a real `devtoolsEndpoint()` on loopback.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createCaches } from '@cachework/core'
import { uniqueKey } from '@cachework/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { devtoolsEndpoint } from '../../node/src/devtools-endpoint.ts'
import { serverProxy } from '../src/node/proxy.ts'

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((r) => s.close(r))
  }
})

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler)
  servers.push(s)
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`
}

describe('serverProxy', () => {
  it('forwards with the shared token, and explains a mismatch instead of a bare "forbidden"', async () => {
    const cache = createCaches({ t: { backend: 'locmem', location: uniqueKey('proxy') } }).get('t')
    await cache.set('k', 1)
    const endpoint = devtoolsEndpoint({ token: 'server-side-secret', caches: () => [cache] })
    const target = await listen((req, res) => endpoint(req, res))
    const right = await listen(serverProxy(target, 'page', () => 'server-side-secret'))
    const ok = await fetch(`${right}/list`, { headers: { 'x-cachework-token': 'page' } })
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as { entries: Array<{ key: string }> }).entries.map((e) => e.key)).toEqual([
      'k',
    ])

    const wrong = await listen(
      serverProxy(
        target,
        'page',
        () => 'another-secret',
        () => 'the file /a/b/devtools-token',
      ),
    )
    const r = await fetch(`${wrong}/list`, { headers: { 'x-cachework-token': 'page' } })
    expect(r.status).toBe(403)
    const body = (await r.json()) as { error: string; tokenMismatch: boolean }
    expect(body.tokenMismatch).toBe(true)
    expect(body.error).toContain('The Vite process took its token from the file /a/b/devtools-token')
    expect(body.error).toContain('the server took its token from an explicit option')
    expect(body.error).toContain(`working directory ${process.cwd()}`)
    expect(body.error).toContain('CACHEWORK_DEVTOOLS_TOKEN')
    expect(body.error).not.toContain('server-side-secret')
    // The page's own token is still checked first.
    expect((await fetch(`${wrong}/list`, { headers: { 'x-cachework-token': 'nope' } })).status).toBe(403)
  })
})
