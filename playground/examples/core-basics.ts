/**
 * The core API in one file (the README's first example): values, timeouts, versions,
 * incr/decr, getOrSet, events. Run: node --conditions=@cachework/source --import tsx playground/examples/core-basics.ts
 */
import { cache, caches, configureCaches, type KeyNotFoundError } from '@cachework/core'

configureCaches({
  default: { backend: 'locmem', timeout: 300 },
  sessions: { backend: 'locmem', location: 'sessions', keyPrefix: 'site1', options: { maxEntries: 1000 } },
})

await cache.set('greeting', { text: 'hello', at: new Date(0) }) // any structured-cloneable value
console.log('get:', await cache.get('greeting'))
console.log('miss with a default:', await cache.get('nope', 'fallback'))
console.log('add over a live key:', await cache.add('greeting', 'ignored'))

await cache.set('visits', 10, null) // null: never expires
console.log('incr:', await cache.incr('visits'), 'decr by 5:', await cache.decr('visits', 5))
try {
  await cache.incr('missing')
} catch (e) {
  console.log('incr on a missing key:', (e as KeyNotFoundError).code, (e as Error).message)
}

// Versions: incrVersion moves the value to version 2; version 1 now misses.
await cache.set('report', 'v1 data')
console.log('incrVersion →', await cache.incrVersion('report'))
console.log(
  'version 1:',
  await cache.get('report'),
  '| version 2:',
  await cache.get('report', undefined, { version: 2 }),
)

// getOrSet: compute once, share between concurrent callers (no stampede).
let computed = 0
const slow = async () => {
  computed++
  await new Promise((r) => setTimeout(r, 100))
  return { total: 42 }
}
const [a, b] = await Promise.all([cache.getOrSet('stats', slow, 60), cache.getOrSet('stats', slow, 60)])
console.log('getOrSet:', a, b, 'computed', computed, 'time(s)')

// Events and stats.
const off = caches.get('sessions').on('*', (e) => console.log('event:', e.type, e.key))
await caches.get('sessions').set('s1', 'data')
await caches.get('sessions').get('s1')
off()
console.log('made key:', caches.get('sessions').makeKey('s1'), 'stats:', caches.get('sessions').stats())
