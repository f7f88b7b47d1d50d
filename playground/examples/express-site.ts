/**
 * Express with cachework (the README's Node example): backends from the config, per-site and
 * per-view caching, the Nunjucks tag. Run, then curl it twice:
 *   node --conditions=@cachework/source --import tsx playground/examples/express-site.ts
 *   curl -i http://127.0.0.1:3000/articles/1
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { configureCaches } from '@cachework/core'
import '@cachework/node/db' // registers the 'db' backend used below
import '@cachework/node/file' // registers the 'file' backend used below
import { cacheMiddleware, cachePage, neverCache } from '@cachework/node/http'
import { installCacheTag } from '@cachework/node/nunjucks'
import express from 'express'
import nunjucks from 'nunjucks'

const dir = mkdtempSync(join(tmpdir(), 'cachework-example-'))
configureCaches({
  default: { backend: 'locmem' },
  pages: { backend: 'file', location: join(dir, 'pages') },
  template_fragments: {
    backend: 'db',
    location: 'fragments',
    options: { database: join(dir, 'cache.sqlite3') },
  },
  // With a memcached server: pages: { backend: 'memcached', location: '127.0.0.1:11211' },
})

const env = installCacheTag(new nunjucks.Environment())
const renderString = (src: string, ctx: object) =>
  new Promise<string>((ok, fail) => env.renderString(src, ctx, (e, html) => (e ? fail(e) : ok(html ?? ''))))

const app = express()
app.use('/api', cacheMiddleware({ alias: 'pages', seconds: 60 })) // per site (here: under /api)
app.get('/api/time', (_req, res) => {
  res.json({ now: new Date().toISOString() })
})
// Per view: Django's cache_page, as middleware before the view (or `cachePage(900)(view)`).
app.get('/articles/:id', cachePage(60 * 15, { cache: 'pages' }), async (req, res) => {
  await new Promise((r) => setTimeout(r, 500)) // slow on a miss only
  res.send(`<h1>Article ${req.params.id}</h1><p>rendered ${new Date().toISOString()}</p>`)
})
app.get('/', async (req, res) => {
  const user = String(req.query.user ?? 'anonymous')
  res.send(
    await renderString('{% cache 300 sidebar user %}<aside>{{ user }} at {{ at }}</aside>{% endcache %}', {
      user,
      at: Date.now(),
    }),
  )
})
app.get('/me', neverCache, (_req, res) => {
  res.json({ user: 'alice' })
})

const port = Number(process.env.PORT ?? 3000)
app.listen(port, '127.0.0.1', () => console.log(`http://127.0.0.1:${port}/`))
