/**
 * devtoolsEndpoint(): the three gates (development, loopback, token) and the operations,
 * against real caches over real sockets. The non-loopback case is real too: a client in a
 * network namespace the test makes (a test host of our own, joined by a veth pair) calls a
 * server on the host side, and a Unix-socket server sees no IP address at all.
 */
import { request as httpRequest, type IncomingMessage, type Server, createServer } from 'node:http'
import { type AddressInfo, createServer as createNetServer, connect } from 'node:net'
import { execFile, execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCaches } from '@cachework/core'
import { uniqueKey } from '@cachework/core/testing'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { DevtoolsInProductionError, devtoolsEndpoint, isLoopbackAddress } from '../src/devtools-endpoint.ts'

const TOKEN = 'test-token-0123456789'

/**
 * Make a network namespace with a veth pair on a random 10.231.x.0/30 (needs root and iproute2,
 * which `npm test` runs with here); returns both ends' addresses and a cleanup.
 */
function makeTestHostNamespace(): { name: string; hostAddress: string; peerAddress: string; remove(): void } {
  const id = `${process.pid % 10000}${Math.floor(Math.random() * 90 + 10)}`
  const name = `cwdt${id}`
  const octet = Math.floor(Math.random() * 250) + 1
  const hostAddress = `10.231.${octet}.1`
  const peerAddress = `10.231.${octet}.2`
  const hostIf = `cwh${id}`
  const peerIf = `cwp${id}`
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' })
  const remove = () => {
    for (const args of [
      ['link', 'del', hostIf],
      ['netns', 'del', name],
    ]) {
      try {
        ip(...args)
      } catch {
        // already gone
      }
    }
  }
  try {
    ip('netns', 'add', name)
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf)
    ip('link', 'set', peerIf, 'netns', name)
    ip('addr', 'add', `${hostAddress}/30`, 'dev', hostIf)
    ip('link', 'set', hostIf, 'up')
    ip('netns', 'exec', name, 'ip', 'addr', 'add', `${peerAddress}/30`, 'dev', peerIf)
    ip('netns', 'exec', name, 'ip', 'link', 'set', peerIf, 'up')
    ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up')
  } catch (e) {
    remove()
    throw new Error(
      `this test makes a network namespace as its non-loopback test host and needs root and iproute2 (apt-get install -y iproute2): ${(e as Error).message}`,
    )
  }
  return { name, hostAddress, peerAddress, remove }
}
const servers: Server[] = []

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

function makeCache() {
  return createCaches({ dev: { backend: 'locmem', location: uniqueKey('devtools') } }).get('dev')
}

async function listen(server: Server, where: { host: string } | { path: string }): Promise<void> {
  servers.push(server)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    if ('path' in where) server.listen(where.path, resolve)
    else server.listen(0, where.host, resolve)
  })
}

interface Reply {
  status: number
  body: Record<string, unknown>
}

function call(
  target: { host: string; port: number } | { socketPath: string },
  path: string,
  opts: { token?: string; body?: unknown; localAddress?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (opts.token !== undefined) headers['x-cachework-token'] = opts.token
    const req = httpRequest(
      {
        ...target,
        path,
        method: opts.body === undefined ? 'GET' : 'POST',
        headers,
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      },
      (res: IncomingMessage) => {
        let text = ''
        res.on('data', (c) => {
          text += String(c)
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }))
      },
    )
    req.on('error', reject)
    req.end(opts.body === undefined ? undefined : JSON.stringify(opts.body))
  })
}

async function loopbackServer(cache = makeCache()) {
  const mw = devtoolsEndpoint({ token: TOKEN, caches: () => [cache] })
  const server = createServer((req, res) => mw(req, res))
  await listen(server, { host: '127.0.0.1' })
  const { port } = server.address() as AddressInfo
  return { cache, target: { host: '127.0.0.1', port } }
}

describe('devtoolsEndpoint gates', () => {
  it('refuses a request without the token and with a wrong token', async () => {
    const { target } = await loopbackServer()
    const none = await call(target, '/__cachework/list')
    expect(none.status).toBe(403)
    const wrong = await call(target, '/__cachework/list', { token: `${TOKEN}x` })
    expect(wrong.status).toBe(403)
    expect(String(wrong.body.error)).toMatch(/token/)
    const right = await call(target, '/__cachework/list', { token: TOKEN })
    expect(right.status).toBe(200)
  })

  it('refuses a peer on a non-loopback address, even with the right token', async () => {
    // A test host of our own: a network namespace joined to this one by a veth pair, so the
    // request really comes from a non-loopback address and never leaves the machine.
    const net = makeTestHostNamespace()
    try {
      const mw = devtoolsEndpoint({ token: TOKEN, caches: () => [makeCache()] })
      let seenPeer: string | undefined
      const server = createServer((req, res) => {
        seenPeer = req.socket.remoteAddress
        mw(req, res)
      })
      await listen(server, { host: net.hostAddress })
      const { port } = server.address() as AddressInfo
      const script = `fetch('http://${net.hostAddress}:${port}/__cachework/list', { headers: { 'x-cachework-token': '${TOKEN}' } }).then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.json() })))`
      const out = await new Promise<string>((resolve, reject) => {
        execFile(
          'ip',
          ['netns', 'exec', net.name, process.execPath, '-e', script],
          { timeout: 20_000 },
          (e, stdout) => (e ? reject(e) : resolve(stdout)),
        )
      })
      const r = JSON.parse(out) as Reply
      expect(seenPeer).toBe(net.peerAddress)
      expect(r.status).toBe(403)
      expect(String(r.body.error)).toMatch(/loopback/)
    } finally {
      net.remove()
    }
  })

  it('refuses a Unix-socket peer (no IP address at all)', async () => {
    const mw = devtoolsEndpoint({ token: TOKEN, caches: () => [makeCache()] })
    const server = createServer((req, res) => mw(req, res))
    const socketPath = join(tmpdir(), `cw-devtools-${process.pid}-${uniqueKey('s')}.sock`)
    await listen(server, { path: socketPath })
    const r = await call({ socketPath }, '/__cachework/list', { token: TOKEN })
    expect(r.status).toBe(403)
  })

  it('classifies real socket peers: 127.0.0.1, ::1 and ::ffff:127.0.0.1 are loopback', async () => {
    const peers: string[] = []
    for (const host of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      const srv = createNetServer((s) => {
        peers.push(String(s.remoteAddress))
        s.end()
      })
      await new Promise<void>((r) => srv.listen(0, host, r))
      const { port } = srv.address() as AddressInfo
      const connectTo = host === '::ffff:127.0.0.1' ? '127.0.0.1' : host
      await new Promise<void>((r) => connect(port, connectTo).on('close', () => r()))
      await new Promise((r) => srv.close(r))
    }
    expect(peers).toEqual(['127.0.0.1', '::1', '::ffff:127.0.0.1'])
    for (const p of peers) expect(isLoopbackAddress(p)).toBe(true)
    for (const p of ['192.0.2.2', '::ffff:10.0.0.1', 'fd00::2', '128.0.0.1', '', undefined, '127.0.0.256']) {
      expect(isLoopbackAddress(p)).toBe(false)
    }
  })

  it('refuses to mount with NODE_ENV=production', () => {
    const old = process.env.NODE_ENV
    process.env.NODE_ENV = 'production'
    try {
      expect(() => devtoolsEndpoint({ token: TOKEN })).toThrow(DevtoolsInProductionError)
    } finally {
      process.env.NODE_ENV = old
    }
  })
})

describe('devtoolsEndpoint operations', () => {
  it('lists, deletes, bumps and clears real entries', async () => {
    const { cache, target } = await loopbackServer()
    await cache.set('a', { n: 1 }, 300)
    await cache.set('b', 'two', null)
    await cache.set('c', [1, 2, 3])
    const list = await call(target, '/__cachework/list', { token: TOKEN })
    const caches = list.body.caches as Array<{ id: string; alias: string; backend: string }>
    const entries = list.body.entries as Array<{
      key: string
      version: number
      preview: string
      expiresAt: number | null
    }>
    expect(caches).toHaveLength(1)
    expect(caches[0]?.backend).toBe('locmem')
    const id = caches[0]?.id as string
    expect(entries.map((e) => e.key).sort()).toEqual(['a', 'b', 'c'])
    expect(entries.find((e) => e.key === 'a')?.preview).toBe('{ n: 1 }')
    expect(entries.find((e) => e.key === 'b')?.expiresAt).toBeNull()

    const value = await call(target, `/__cachework/value?cache=${id}&rawKey=${encodeURIComponent(':1:c')}`, {
      token: TOKEN,
    })
    expect(value.body.text).toBe('[\n  1,\n  2,\n  3\n]')

    const del = await call(target, '/__cachework/delete', {
      token: TOKEN,
      body: { cache: id, key: 'a', version: 1 },
    })
    expect(del.body.deleted).toBe(true)
    expect(await cache.has('a')).toBe(false)

    const bump = await call(target, '/__cachework/bump', {
      token: TOKEN,
      body: { cache: id, key: 'b', version: 1 },
    })
    expect(bump.body.version).toBe(2)
    expect(await cache.get('b', undefined, { version: 2 })).toBe('two')
    expect(await cache.has('b')).toBe(false)

    const stats = await call(target, '/__cachework/stats', { token: TOKEN })
    expect((stats.body.stats as Record<string, { sets: number }>)[id]?.sets).toBeGreaterThanOrEqual(3)

    const clear = await call(target, '/__cachework/clear', { token: TOKEN, body: { cache: id } })
    expect(clear.body.cleared).toBe(true)
    expect(await cache.has('c')).toBe(false)
  })

  it('streams live events over SSE', async () => {
    const { cache, target } = await loopbackServer()
    const got = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(
        { ...target, path: '/__cachework/events', headers: { 'x-cachework-token': TOKEN } },
        (res) => {
          expect(res.headers['content-type']).toBe('text/event-stream')
          let text = ''
          res.on('data', (c) => {
            text += String(c)
            if (text.includes('"type":"set"')) {
              req.destroy()
              resolve(text)
            }
          })
          void cache.set('live', 1)
        },
      )
      req.on('error', reject)
      req.end()
    })
    expect(got).toMatch(/data: .*"key":"live"/)
  })

  it('mounts in Express, at the root or under its path', async () => {
    const cache = makeCache()
    await cache.set('x', 1)
    const app = express()
    app.use(devtoolsEndpoint({ token: TOKEN, caches: () => [cache] }))
    app.use(
      '/mounted/__cachework',
      devtoolsEndpoint({ token: TOKEN, caches: () => [cache], path: '/mounted/__cachework' }),
    )
    app.get('/other', (_req, res) => {
      res.json({ app: true })
    })
    const server = createServer(app)
    await listen(server, { host: '127.0.0.1' })
    const { port } = server.address() as AddressInfo
    const target = { host: '127.0.0.1', port }
    expect((await call(target, '/__cachework/list', { token: TOKEN })).status).toBe(200)
    expect((await call(target, '/mounted/__cachework/list', { token: TOKEN })).status).toBe(200)
    expect((await call(target, '/other')).body).toEqual({ app: true })
  })
})
