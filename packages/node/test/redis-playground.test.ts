/** `CACHEWORK_REDIS` puts the playground's page cache on Redis (playground/server/caches.ts). */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCaches } from '@cachework/core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { playgroundCaches } from '../../../playground/server/caches.ts'
import { RedisCache } from '../src/index.ts'
import { untilWritable } from './support/redis-conformance.ts'
import { RedisProcess } from './support/redis-server.ts'

let server: RedisProcess
const saved = { ...process.env }
const dir = mkdtempSync(join(tmpdir(), 'cachework-pg-'))
beforeAll(async () => {
  process.env.CACHEWORK_DATA_DIR = dir
  server = await RedisProcess.start()
})
afterAll(async () => {
  process.env = saved
  await server.stop()
  rmSync(dir, { recursive: true, force: true })
})

it('CACHEWORK_REDIS puts the pages alias on Redis; with CACHEWORK_MEMCACHED too it refuses', async () => {
  delete process.env.CACHEWORK_MEMCACHED
  process.env.CACHEWORK_REDIS = server.url
  const caches = createCaches(playgroundCaches())
  const pages = caches.get('pages')
  expect(pages).toBeInstanceOf(RedisCache)
  await untilWritable(pages)
  await pages.set('page', 'html')
  expect(await server.cli('GET', pages.makeKey('page'))).toBe('html')
  expect(pages.makeKey('page')).toBe('playground:1:page')
  await caches.closeAll()
  process.env.CACHEWORK_MEMCACHED = '127.0.0.1:11211'
  expect(() => playgroundCaches()).toThrow(/not both/)
})
