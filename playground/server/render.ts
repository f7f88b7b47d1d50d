/**
 * Nunjucks for the playground: one environment over `server/templates`, a promise-returning
 * render, and an async filter that stands in for a slow recommendation service.
 */
import { join } from 'node:path'
import { installCacheTag } from '@cachework/node/nunjucks'
import nunjucks from 'nunjucks'
import { listArticles, slow } from './data.ts'

/** How long the sidebar's "recommendation service" takes on a miss. */
export const SIDEBAR_MS = 600

/** The playground's Nunjucks environment (autoescaping on) with cachework's `{% cache %}` tag. */
export function createTemplates(): nunjucks.Environment {
  const env = new nunjucks.Environment(
    new nunjucks.FileSystemLoader(join(import.meta.dirname, 'templates')),
    {
      autoescape: true,
    },
  )
  // Async filter: `{{ user | recommendations }}` takes SIDEBAR_MS, so a fragment-cache miss is visible.
  env.addFilter(
    'recommendations',
    (user: string, done: (err: Error | null, result?: unknown) => void) => {
      slow(SIDEBAR_MS).then(() => {
        const picks = listArticles().filter((_, i) => (user === 'bob' ? i % 2 === 1 : i % 2 === 0))
        done(null, picks)
      }, done)
    },
    true,
  )
  env.addGlobal('now', () => new Date().toISOString())
  return installCacheTag(env)
}

/** Render a template to a string (async, so async filters and tags work). */
export function render(env: nunjucks.Environment, name: string, context: object): Promise<string> {
  return new Promise((resolve, reject) => {
    env.render(name, context, (err, html) => (err ? reject(err) : resolve(html ?? '')))
  })
}
