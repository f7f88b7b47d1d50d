/**
 * Hono 4 on @hono/node-server with cachework (docs/frameworks.md): per-path and per-route
 * caching from `@cachework/core/hono`, which runs in any Fetch runtime. Run, then curl twice:
 *   node --conditions=@cachework/source --import tsx playground/examples/hono-site.ts
 *   curl -i http://127.0.0.1:3002/articles/1
 */
import { serve } from '@hono/node-server'
import { configureCaches } from '@cachework/core'
import { cacheMiddleware, cachePage, neverCache, varyOnCookie } from '@cachework/core/hono'
import { Hono } from 'hono'

configureCaches({ default: { backend: 'locmem' }, pages: { backend: 'locmem', location: 'pages' } })

const app = new Hono()
app.use('/api/*', cacheMiddleware({ alias: 'pages', seconds: 60 })) // per site (here: under /api)
app.get('/api/time', (c) => c.json({ now: new Date().toISOString() }))
app.get('/articles/:id', cachePage(60 * 15, { cache: 'pages' }), async (c) => {
  await new Promise((r) => setTimeout(r, 500)) // slow on a miss only
  return c.html(`<h1>Article ${c.req.param('id')}</h1><p>rendered ${new Date().toISOString()}</p>`)
})
app.get('/home', cachePage(60, { cache: 'pages' }), varyOnCookie, (c) => c.text(`home at ${Date.now()}`))
app.get('/me', neverCache, (c) => c.json({ user: 'alice' }))

const port = Number(process.env.PORT ?? 3002)
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => console.log(`http://127.0.0.1:${port}/`))
