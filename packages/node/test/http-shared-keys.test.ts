/**
 * One page cache, four frameworks: a page stored through any of Express, Fastify, Hono (its
 * middleware or `cacheApp`) and Koa is a hit through the others on the same alias and URL, because every adapter runs the
 * same engine and writes Django's keys (docs/contract.md §3). The alias is a real memcached.
 */
import { type CacheRegistry, createCaches } from '@cachework/core'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cacheMiddleware } from '../src/http.ts'
import { rawRequest } from './http-support.ts'
import type { ConformanceRoute, ConformanceServer, StartServer } from './support/adapter-conformance.ts'
import { startFastify } from './support/fastify-harness.ts'
import { startHono, startHonoApp } from './support/hono-harness.ts'
import { startKoa } from './support/koa-harness.ts'
import { MemcachedProcess } from './support/memcached-server.ts'
import { listenNode, nodeRoutes } from './support/node-harness.ts'

const startExpress: StartServer = (routes, options) => {
  const app = express()
  app.use(cacheMiddleware(options))
  app.use(nodeRoutes(routes))
  return listenNode(app)
}

const frameworks: [string, StartServer][] = [
  ['Express', startExpress],
  ['Fastify', startFastify],
  ['Hono', startHono],
  ['HonoCacheApp', startHonoApp],
  ['Koa', startKoa],
]

describe('the same Django page keys through every adapter', () => {
  let memcached: MemcachedProcess
  let registry: CacheRegistry
  const servers: { name: string; server: ConformanceServer }[] = []
  const runs: Record<string, number> = {}

  beforeAll(async () => {
    memcached = await MemcachedProcess.start()
    registry = createCaches({ pages: { backend: 'memcached', location: memcached.location } })
    for (const [name, start] of frameworks) {
      const route: ConformanceRoute = {
        path: '/shared',
        view: () => {
          runs[name] = (runs[name] ?? 0) + 1
          return { headers: { 'content-type': 'text/plain' }, body: `stored by ${name}` }
        },
      }
      servers.push({ name, server: await start([route], { alias: 'pages', registry, seconds: 60 }) })
    }
  })
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.server.close()))
    await registry.closeAll()
    await memcached.stop()
  })

  it.each(frameworks.map(([name]) => name))(
    'a page stored through %s is a hit through the others',
    async (writer) => {
      // The same URL for every server: the key holds the Host, not the port each one listens on.
      const host = `${writer.toLowerCase()}.shared.example`
      const query = `/shared?from=${writer}`
      const at = (name: string) =>
        `${(servers.find((s) => s.name === name) as { server: ConformanceServer }).server.baseUrl}${query}`
      const before = { ...runs }
      const first = await rawRequest(at(writer), { host })
      expect(first.body).toBe(`stored by ${writer}`)
      expect(first.headers.age).toBeUndefined()
      for (const [reader] of frameworks.filter(([name]) => name !== writer)) {
        const hit = await rawRequest(at(reader), { host })
        expect(hit.body, reader).toBe(`stored by ${writer}`)
        expect(hit.headers.age, reader).toMatch(/^\d+$/)
        expect(hit.headers['content-type'], reader).toBe('text/plain')
      }
      const ran = Object.fromEntries(frameworks.map(([n]) => [n, (runs[n] ?? 0) - (before[n] ?? 0)]))
      expect(ran).toEqual(Object.fromEntries(frameworks.map(([n]) => [n, n === writer ? 1 : 0])))
    },
  )
})
