/**
 * The data the backend benches (locmem, db, file) store: 1,000 keys with a small, typical cached
 * object each, and the same data written in Python for the Django rows.
 */

/** How many keys the benches fill and cycle through: 1000. */
export const N = 1000

/** The keys `key:0` … `key:999`. */
export const keys = Array.from({ length: N }, (_, i) => `key:${i}`)

/** A small, typical cached object for key `i`: copying caches pay for its structure. */
export const value = (i: number) => ({
  id: i,
  title: `Article ${i}`,
  tags: ['news', 'tech'],
  score: 4.5,
  draft: false,
})

/** Python statements defining the same `keys` list and `val(i)` objects, for the Django rows. */
export const PY_FIXTURE = `keys = ['key:%d' % i for i in range(${N})]
val = lambda i: {'id': i, 'title': 'Article %d' % i, 'tags': ['news', 'tech'], 'score': 4.5, 'draft': False}`
