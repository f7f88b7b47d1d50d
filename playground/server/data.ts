/**
 * The playground's "database": a handful of news articles and two demo readers, held in memory.
 * Publishing edits an article in place, which is what the cache has to notice.
 */

/** One news article. `revision` goes up every time it is published. */
export interface Article {
  slug: string
  title: string
  section: string
  author: string
  summary: string
  body: string[]
  revision: number
  publishedAt: string
}

/** The two demo readers; the `user` cookie holds one of their names. */
export const USERS = ['alice', 'bob'] as const

/** A demo reader's name, or `anonymous`. */
export type UserName = (typeof USERS)[number] | 'anonymous'

const seed: Omit<Article, 'revision' | 'publishedAt'>[] = [
  {
    slug: 'memcached-turns-20',
    title: 'Memcached turns twenty and still fits in a megabyte',
    section: 'Infrastructure',
    author: 'R. Fielding-Lane',
    summary: 'The little daemon that could keeps serving slabs to half the web.',
    body: [
      'Twenty years after its first release, memcached still does one thing: it keeps bytes in memory for a while.',
      'Operators praise its predictability. Values over a megabyte are refused, keys over 250 bytes are refused, and nothing else surprises anyone.',
    ],
  },
  {
    slug: 'cache-invalidation-solved',
    title: 'Local team claims to have solved cache invalidation',
    section: 'Opinion',
    author: 'P. Karlton-Smith',
    summary: 'Their secret: bump a version number and let the old entries expire.',
    body: [
      'The two hard things in computer science are said to be naming things, cache invalidation and off-by-one errors.',
      'A team of three now says the second one is easy: every article carries a version, and publishing bumps it.',
    ],
  },
  {
    slug: 'sqlite-everywhere',
    title: 'SQLite is now in more places than there are people',
    section: 'Databases',
    author: 'D. Hipp-Jones',
    summary: 'A single file, a single writer, and a cache table that just works.',
    body: [
      'It runs in phones, planes and browsers. It is also a perfectly good cache store for a small site.',
      'A `db` cache keeps its entries in one table with an index on the expiry column, as Django does.',
    ],
  },
  {
    slug: 'offline-first-reader',
    title: 'The offline-first news reader is back',
    section: 'Web',
    author: 'J. Archibald-Ng',
    summary: 'Service workers keep the pages you have read, even on a train.',
    body: [
      'A service worker sits between the page and the network. It can answer from a cache when the network is gone.',
      'The trick is to store only what HTTP says may be stored, and to revalidate what has gone stale.',
    ],
  },
]

const articles = new Map<string, Article>(
  seed.map((a) => [a.slug, { ...a, revision: 1, publishedAt: new Date().toISOString() }]),
)

/** Every article, newest first. */
export function listArticles(): Article[] {
  return [...articles.values()]
}

/** One article by slug, or `undefined`. */
export function findArticle(slug: string): Article | undefined {
  return articles.get(slug)
}

/** Publish a new revision of an article (the editor's "publish" button); returns it. */
export function publishArticle(slug: string): Article | undefined {
  const a = articles.get(slug)
  if (!a) return undefined
  a.revision += 1
  a.publishedAt = new Date().toISOString()
  a.body = [
    ...a.body.filter((p) => !p.startsWith('Update ')),
    `Update ${a.revision}: corrected at ${a.publishedAt}.`,
  ]
  return a
}

/** Resolve the `user` cookie to a demo reader. */
export function userFromCookie(cookieHeader: string | undefined): UserName {
  const m = /(?:^|;\s*)user=([^;]+)/.exec(cookieHeader ?? '')
  const name = m ? decodeURIComponent(m[1] ?? '') : ''
  return (USERS as readonly string[]).includes(name) ? (name as UserName) : 'anonymous'
}

/** Wait `ms` milliseconds: the playground's stand-in for an expensive query or render. */
export function slow(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
