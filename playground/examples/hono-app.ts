/**
 * Hono 4 on @hono/node-server with the whole app cached in front of its router by `cacheApp`
 * (docs/frameworks.md): a hit never enters Hono. Run, then curl twice:
 *   node --conditions=@cachework/source --import tsx playground/examples/hono-app.ts
 *   curl -i http://127.0.0.1:3003/articles/1
 */
import { serve } from '@hono/node-server'
import { configureCaches } from '@cachework/core'
import { cacheApp, neverCache, varyOnCookie } from '@cachework/core/hono'
import { Hono } from 'hono'

configureCaches({ default: { backend: 'locmem' }, pages: { backend: 'locmem', location: 'pages' } })

const app = new Hono()
app.get('/articles/:id', async (c) => {
  await new Promise((r) => setTimeout(r, 500)) // slow on a miss only
  return c.html(`<h1>Article ${c.req.param('id')}</h1><p>rendered ${new Date().toISOString()}</p>`)
})
app.get('/home', varyOnCookie, (c) => c.text(`home at ${Date.now()}`)) // one page per cookie
app.get('/me', neverCache, (c) => c.json({ user: 'alice' })) // never stored

const port = Number(process.env.PORT ?? 3003)
const site = cacheApp(app, { alias: 'pages', seconds: 900 })
serve({ fetch: site.fetch, port, hostname: '127.0.0.1' }, () => console.log(`http://127.0.0.1:${port}/`))
