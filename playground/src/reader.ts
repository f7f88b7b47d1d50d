/**
 * The reader's own caches, in this browser's IndexedDB: `saved` keeps the articles the reader
 * saved for later (never expire), `api` keeps a client-side copy of `/api/articles` for a
 * minute, so the headline list shows without a request (and offline).
 */
import '@cachework/browser'
import { caches, configureCaches } from '@cachework/core'

configureCaches({
  default: { backend: 'locmem' },
  saved: { backend: 'indexeddb', location: 'courier-saved', timeout: null },
  api: { backend: 'indexeddb', location: 'courier-api', timeout: 60 },
})

/** A headline as `/api/articles` returns it. */
export interface Headline {
  slug: string
  title: string
  section: string
  summary: string
  revision: number
}

/** A saved article as the Save button stores it. */
export interface SavedArticle {
  slug: string
  title: string
  body: string[]
  revision: number
  savedAt: string
}

/** Fetch an article from the API and keep it in the `saved` cache (no expiry). */
export async function saveArticle(slug: string): Promise<SavedArticle> {
  const res = await fetch(`/api/articles/${encodeURIComponent(slug)}`)
  if (!res.ok) throw new Error(`Could not fetch article ${slug}: HTTP ${res.status}`)
  const a = (await res.json()) as Omit<SavedArticle, 'savedAt'>
  const saved: SavedArticle = {
    slug: a.slug,
    title: a.title,
    body: a.body,
    revision: a.revision,
    savedAt: new Date().toISOString(),
  }
  await caches.get('saved').set(`article:${slug}`, saved)
  return saved
}

/** Every saved article, oldest first. */
export async function savedArticles(): Promise<SavedArticle[]> {
  const saved = caches.get('saved')
  const keys: string[] = []
  for await (const e of saved.entries({ prefix: 'article:' })) if (e.key) keys.push(e.key)
  const found = await saved.getMany<SavedArticle>(keys)
  return Object.values(found).sort((x, y) => x.savedAt.localeCompare(y.savedAt))
}

/** Forget a saved article. */
export function unsaveArticle(slug: string): Promise<boolean> {
  return caches.get('saved').delete(`article:${slug}`)
}

/**
 * The headlines, from the client-side cache when it has them (`fromCache: true`), else from
 * `/api/articles` (then kept for a minute).
 */
export async function headlines(): Promise<{ items: Headline[]; fromCache: boolean }> {
  let fetched = false
  const items = await caches.get('api').getOrSet<Headline[]>('headlines', async () => {
    fetched = true
    const res = await fetch('/api/articles')
    if (!res.ok) throw new Error(`GET /api/articles: HTTP ${res.status}`)
    return (await res.json()) as Headline[]
  })
  return { items, fromCache: !fetched }
}
