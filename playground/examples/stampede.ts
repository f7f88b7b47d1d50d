/**
 * Stampede protection (docs/contract.md rule 16): `getOrSet` with a distributed lease, stale-
 * while-revalidate, stale-if-error, XFetch early refresh, soft invalidation with `expire()`, and
 * the page cache's stale window. Two caches on one directory stand in for two processes sharing
 * a backend (node/test/stampede-processes.test.ts does it with real processes).
 * Run: node --conditions=@cachework/source --import tsx playground/examples/stampede.ts
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCaches } from '@cachework/core'
import { cachePage } from '@cachework/core/http'
import '@cachework/node/file' // registers the 'file' backend used below

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const dir = mkdtempSync(join(tmpdir(), 'cachework-stampede-'))
const caches = createCaches({
  default: { backend: 'locmem' },
  one: { backend: 'file', location: dir },
  two: { backend: 'file', location: dir },
})
const [one, two] = [caches.get('one'), caches.get('two')]

// 1. lock: 'distributed': 20 concurrent callers on two caches sharing the store, one computation.
let runs = 0
const slowReport = async () => {
  runs++
  await sleep(200)
  return { total: 42 }
}
await Promise.all(
  Array.from({ length: 20 }, (_, i) =>
    (i % 2 ? one : two).getOrSet('report', slowReport, 60, { lock: 'distributed' }),
  ),
)
console.log('distributed: factory ran', runs, 'time(s) for 20 callers')

// 2. staleWhileRevalidate: once stale, callers get the old value at once; one refresh runs.
let version = 0
const build = async () => {
  version++
  await sleep(100)
  return `v${version}`
}
const swr = { staleWhileRevalidate: 300 }
await one.getOrSet('page', build, 60, swr)
await one.expire('page') // soft invalidation: stale now (delete() would remove it)
console.log('get() after expire:', await one.get('page')) // stale entries are misses for get
one.on('refresh', (e) => console.log('refresh event for', e.key))
const during = await Promise.all(Array.from({ length: 5 }, () => one.getOrSet('page', build, 60, swr)))
console.log('during the refresh:', during.join(' '))
await sleep(500)
console.log('after the refresh:', await one.getOrSet('page', build, 60, swr))

// 3. staleIfError: a throwing factory returns the last good value and emits `error`.
await one.getOrSet('rates', async () => ({ eur: 1.08 }), 60, { staleIfError: 3600 })
await one.expire('rates')
one.on('error', (e) => console.log('error event:', (e.error as Error).message))
const rates = await one.getOrSet(
  'rates',
  async () => {
    throw new Error('upstream down')
  },
  60,
  { staleIfError: 3600 },
)
console.log('staleIfError answered:', JSON.stringify(rates))

// 4. beta (XFetch): a fresh entry is refreshed early when now − Δ·β·ln(random()) ≥ expiry.
//    `random` is injected here to force the draw; leave it out in an app.
let early = 0
const compute = async () => {
  early++
  await sleep(20)
  return early
}
await one.getOrSet('scores', compute, 10, { beta: 1 })
await one.getOrSet('scores', compute, 10, { beta: 1, random: () => 1e-300 })
await sleep(100)
console.log('beta: computed', early, 'times (the second call refreshed early, in the background)')

// 5. The page cache: served stale while one request re-renders (RFC 5861 stale-while-revalidate).
let renders = 0
const view = cachePage(1, { staleWhileRevalidate: 30 })(async () => {
  renders++
  await sleep(100)
  return new Response(`render ${renders}`)
})
const url = 'http://127.0.0.1:8000/front'
await view(new Request(url))
await sleep(1100) // past the 1 s fresh lifetime
const pages = await Promise.all(Array.from({ length: 4 }, () => view(new Request(url)).then((r) => r.text())))
// The request that claims the refresh waits for the new page; the others get the stale one.
const stale = pages.filter((p) => p === 'render 1').length
console.log('pages during the re-render:', stale, 'stale,', pages.length - stale, 'new; renders:', renders)

await caches.closeAll()
rmSync(dir, { recursive: true, force: true })
