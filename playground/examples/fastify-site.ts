/**
 * Fastify 5 with cachework (docs/frameworks.md): the plugin with per-route `config.cache`,
 * the header hooks, pages in a file cache. Run, then curl it twice:
 *   node --conditions=@cachework/source --import tsx playground/examples/fastify-site.ts
 *   curl -i http://127.0.0.1:3001/articles/1
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import '@cachework/node' // registers the memcached, redis, db and file backends
import { configureCaches } from '@cachework/core'
import { fastifyCache, neverCache, varyOnCookie } from '@cachework/node/fastify'
import Fastify from 'fastify'

const dir = mkdtempSync(join(tmpdir(), 'cachework-fastify-'))
configureCaches({
  default: { backend: 'locmem' },
  pages: { backend: 'file', location: join(dir, 'pages') },
  // With a memcached server: pages: { backend: 'memcached', location: '127.0.0.1:11211' },
})

const app = Fastify()
await app.register(fastifyCache, { alias: 'pages', seconds: 60 })
// Django's cache_page(900) for one route: the view runs on a miss only.
app.get<{ Params: { id: string } }>(
  '/articles/:id',
  { config: { cache: { seconds: 900 } } },
  async (req, reply) => {
    await new Promise((r) => setTimeout(r, 500)) // slow on a miss only
    return reply
      .type('text/html')
      .send(`<h1>Article ${req.params.id}</h1><p>rendered ${new Date().toISOString()}</p>`)
  },
)
// The plugin's defaults (60 s), one page per cookie.
app.get('/home', { config: { cache: true }, onSend: varyOnCookie }, async () => ({
  now: new Date().toISOString(),
}))
app.get('/me', { onSend: neverCache }, async () => ({ user: 'alice' }))

const port = Number(process.env.PORT ?? 3001)
await app.listen({ port, host: '127.0.0.1' })
console.log(`http://127.0.0.1:${port}/`)
