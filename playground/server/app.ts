/**
 * The playground's routes: a small news site whose every part is cached a different way
 * (per-site middleware, a per-view page cache, a per-user template fragment, a low-level
 * `getOrSet`), with a "publish" action that invalidates an article.
 */
import { type CacheRegistry, caches as defaultCaches } from '@cachework/core'
import { getCacheKey } from '@cachework/core/http'
import { cacheMiddleware, cachePage } from '@cachework/node/http'
import express, { type Express, type Request, type Response } from 'express'
import type nunjucks from 'nunjucks'
import { findArticle, listArticles, publishArticle, slow, USERS, userFromCookie } from './data.ts'
import type { CacheDescription } from './caches.ts'
import { createTemplates, render } from './render.ts'
import { cacheStatus, markRendered } from './timing.ts'

/** How long the article view takes to render on a cache miss (ms). */
export const ARTICLE_RENDER_MS = 800
/** How long the "trending" computation takes on a cache miss (ms). */
export const TRENDING_MS = 1000

/** Where the page finds its script and service worker. */
export interface ClientAssets {
  script: string
  serviceWorker: string
}

/** The dev server's URLs: Vite serves the sources. */
export const DEV_ASSETS: ClientAssets = { script: '/src/main.ts', serviceWorker: '/src/sw.ts' }

/** What the About page lists: how each part of the site is cached. */
const PARTS = [
  'Articles: <code>cachePage(900, { cache: "pages" })</code> — an 800 ms render on a miss, instant hits with <code>Age</code>.',
  '<code>/api/*</code> and this page: per-site <code>cacheMiddleware({ alias: "pages" })</code>, 60 s and 10 min.',
  'Front-page sidebar: <code>{% cache 300 sidebar user %}</code>, one fragment per reader in the <code>template_fragments</code> alias.',
  'Trending: <code>cache.getOrSet("trending", compute, 30)</code> around a 1 s computation.',
  "Publishing: deletes the article's page keys (<code>getCacheKey</code> + <code>delete</code>); the service worker drops its copy.",
  'In your browser: <code>indexeddb</code> caches for saved articles and headlines, and a service-worker response cache.',
]

/** Options of `createApp`. */
export interface AppOptions {
  /** The cache registry for the low-level calls; default the process-wide `caches` (which the
   * page cache and the `{% cache %}` tag always use). */
  caches?: CacheRegistry
  /** Turns rendered HTML into what the browser gets (in dev: Vite's `transformIndexHtml`). */
  transformHtml?: (url: string, html: string) => Promise<string>
  /** The client's URLs; default `DEV_ASSETS`. */
  assets?: ClientAssets
  /** What the About page says about each cache; default: alias and backend only. */
  described?: CacheDescription[]
}

/** Build the Express app (without listening). */
export function createApp(opts: AppOptions = {}): Express {
  const registry = opts.caches ?? defaultCaches
  const env: nunjucks.Environment = createTemplates()
  env.addGlobal('assets', opts.assets ?? DEV_ASSETS)
  const transform = opts.transformHtml ?? ((_url: string, html: string) => Promise.resolve(html))
  const app = express()
  app.disable('x-powered-by')
  app.use(
    cacheStatus(
      (req) => req.path.startsWith('/articles/') || req.path.startsWith('/api/') || req.path === '/about',
    ),
  )
  app.use(express.urlencoded({ extended: false }))

  async function page(req: Request, name: string, context: object): Promise<string> {
    return transform(req.originalUrl, await render(env, name, context))
  }

  async function trending() {
    return registry.get('default').getOrSet(
      'trending',
      async () => {
        await slow(TRENDING_MS)
        return {
          computedAt: new Date().toISOString(),
          items: listArticles()
            .map((a, i) => ({ slug: a.slug, title: a.title, reads: 1000 - i * 137 + a.revision * 11 }))
            .sort((x, y) => y.reads - x.reads),
        }
      },
      30,
    )
  }

  // Front page: personalised, so never shared-cached; its sidebar and trending box are.
  app.get('/', async (req: Request, res: Response) => {
    const user = userFromCookie(req.headers.cookie)
    const html = await page(req, 'home.njk', { user, articles: listArticles(), trending: await trending() })
    res.set('Cache-Control', 'private, max-age=10').set('Vary', 'Cookie').type('html').send(html)
  })

  // The article view: deliberately slow.
  const articleView = async (req: Request, res: Response) => {
    const article = findArticle(String(req.params.slug))
    if (!article) {
      res.status(404).type('text').send('No such article')
      return
    }
    markRendered()
    await slow(ARTICLE_RENDER_MS)
    res.type('html').send(await page(req, 'article.njk', { article, renderMs: ARTICLE_RENDER_MS }))
  }
  // Django's cache_page: the server keeps each article 15 minutes in the `pages` alias.
  app.get('/articles/:slug', cachePage(60 * 15, { cache: 'pages' })(articleView))

  // Django's idiom for invalidating one page: rebuild its key (getCacheKey), delete it.
  async function invalidatePage(req: Request, path: string): Promise<number> {
    const url = `${req.protocol}://${req.get('host')}${path}`
    let deleted = 0
    for (const method of ['GET', 'HEAD']) {
      const key = await getCacheKey(new globalThis.Request(url), { cache: 'pages', method })
      if (key && (await defaultCaches.get('pages').delete(key))) deleted++
    }
    return deleted
  }

  // POST to the article's own URL, so the service worker drops its copy too (RFC 9111 §4.4).
  app.post('/articles/:slug', async (req: Request, res: Response) => {
    const article = publishArticle(String(req.params.slug))
    if (!article) {
      res.status(404).type('text').send('No such article')
      return
    }
    await invalidatePage(req, `/articles/${article.slug}`)
    await invalidatePage(req, `/api/articles/${article.slug}`)
    await invalidatePage(req, '/api/articles')
    await registry.get('default').delete('trending')
    res.redirect(303, `/articles/${article.slug}`)
  })

  // Django's per-site CacheMiddleware, on the JSON API and the About page only: 60 s / 10 min.
  app.use('/api', cacheMiddleware({ alias: 'pages', seconds: 60 }))
  app.use('/about', cacheMiddleware({ alias: 'pages', seconds: 600 }))

  app.get('/api/articles', async (_req: Request, res: Response) => {
    markRendered()
    res.json(listArticles().map(({ body: _b, ...a }) => a))
  })

  app.get('/api/articles/:slug', async (req: Request, res: Response) => {
    const article = findArticle(String(req.params.slug))
    if (!article) {
      res.status(404).json({ error: 'not found' })
      return
    }
    markRendered()
    res.json(article)
  })

  app.get('/api/trending', async (_req: Request, res: Response) => {
    markRendered()
    res.json(await trending())
  })

  app.get('/about', async (req: Request, res: Response) => {
    markRendered()
    const caches =
      opts.described ??
      registry.aliases().map((alias) => ({ alias, backend: registry.get(alias).backendName, location: '' }))
    res.type('html').send(await page(req, 'about.njk', { parts: PARTS, caches }))
  })

  app.get('/saved', async (req: Request, res: Response) => {
    res.type('html').send(await page(req, 'saved.njk', {}))
  })

  // Liveness probe for start-up scripts and Playwright's webServer: never cached.
  app.get('/healthz', (_req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store').type('text').send('ok')
  })

  app.post('/login', (req: Request, res: Response) => {
    const name = String((req.body as Record<string, unknown> | undefined)?.user ?? '')
    if ((USERS as readonly string[]).includes(name)) res.cookie('user', name, { sameSite: 'lax', path: '/' })
    else res.clearCookie('user', { path: '/' })
    res.redirect(303, '/')
  })

  return app
}
