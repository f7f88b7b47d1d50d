/**
 * Koa 3 with cachework (docs/frameworks.md): per-route `cachePage` with @koa/router, the
 * header middleware, pages in a SQLite cache. Run, then curl it twice:
 *   node --conditions=@cachework/source --import tsx playground/examples/koa-site.ts
 *   curl -i http://127.0.0.1:3003/articles/1
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import '@cachework/node' // registers the memcached, redis, db and file backends
import { configureCaches } from '@cachework/core'
import { cachePage, neverCache, varyOnCookie } from '@cachework/node/koa'
import Router from '@koa/router'
import Koa from 'koa'

const dir = mkdtempSync(join(tmpdir(), 'cachework-koa-'))
configureCaches({
  default: { backend: 'locmem' },
  pages: { backend: 'db', location: 'pages', options: { database: join(dir, 'cache.sqlite3') } },
})

const app = new Koa()
const router = new Router()
router.get('/articles/:id', cachePage(60 * 15, { cache: 'pages' }), async (ctx) => {
  await new Promise((r) => setTimeout(r, 500)) // slow on a miss only
  ctx.type = 'html'
  ctx.body = `<h1>Article ${ctx.params.id}</h1><p>rendered ${new Date().toISOString()}</p>`
})
router.get('/home', cachePage(60, { cache: 'pages' }), varyOnCookie, (ctx) => {
  ctx.body = `home at ${Date.now()}`
})
router.get('/me', neverCache, (ctx) => {
  ctx.body = { user: 'alice' }
})
app.use(router.routes())

const port = Number(process.env.PORT ?? 3003)
app.listen(port, '127.0.0.1', () => console.log(`http://127.0.0.1:${port}/`))
