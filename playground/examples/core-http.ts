/**
 * HTTP caching on Fetch API objects (core): cachePage over a fetch-style handler, the Age header
 * on hits, getCacheKey for invalidation. Works in any runtime with Request/Response (Node,
 * Deno, Bun, workers). Run: node --conditions=@cachework/source --import tsx playground/examples/core-http.ts
 */
import { cache } from '@cachework/core'
import { cachePage, getCacheKey, makeTemplateFragmentKey, patchCacheControl } from '@cachework/core/http'

let renders = 0
const article = cachePage(60 * 15)(async (request: Request) => {
  renders++
  const res = new Response(`<h1>${new URL(request.url).pathname}</h1>`, {
    headers: { 'Content-Type': 'text/html' },
  })
  patchCacheControl(res, { public: true })
  return res
})

const url = 'http://127.0.0.1:8000/articles/1'
const first = await article(new Request(url))
await new Promise((r) => setTimeout(r, 1100))
const second = await article(new Request(url))
console.log('renders:', renders)
console.log('first  Cache-Control:', first.headers.get('Cache-Control'), '| Age:', first.headers.get('Age'))
console.log('second Cache-Control:', second.headers.get('Cache-Control'), '| Age:', second.headers.get('Age'))

// Invalidate one page: find its key the way the cache does, then delete it.
const key = await getCacheKey(new Request(url))
console.log('page key:', key)
if (key) console.log('deleted:', await cache.delete(key))
await article(new Request(url))
console.log('renders after invalidation:', renders)

console.log('fragment key:', makeTemplateFragmentKey('sidebar', ['alice']))
