/**
 * Template fragment caching: Django's `make_template_fragment_key` and the `{% cache %}` tag's
 * render step (django/templatetags/cache.py), for any template engine.
 */
import { md5 } from '@noble/hashes/legacy.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { CacheUnavailableError } from '../errors.ts'
import { type CacheRegistry, caches } from '../registry.ts'
import type { Cache } from '../types.ts'

/** Options of `makeTemplateFragmentKey`. */
export interface FragmentKeyOptions {
  /** Django 3.1–6.0's hashing (`value:` per argument) instead of 6.1's netstrings. Default false. */
  legacy?: boolean
}

/** Python's `str()` for the values templates pass: `None`, `True`/`False`, `nan`, `inf`. */
function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None'
  if (v === true) return 'True'
  if (v === false) return 'False'
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'nan'
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf'
  }
  return String(v)
}

/**
 * Django 6.1's `make_template_fragment_key`: `template.cache.<name>.<md5>`, the md5 fed one
 * netstring `<bytes>:<str(arg)>,` per `varyOn` value; `{ legacy: true }` gives 3.1–6.0's keys
 * (`str(arg)` then `:`). Values are stringified as Python's `str()` would (`null` → `None`).
 */
export function makeTemplateFragmentKey(
  fragmentName: string,
  varyOn?: readonly unknown[] | null,
  options: FragmentKeyOptions = {},
): string {
  const h = md5.create()
  for (const arg of varyOn ?? []) {
    const data = utf8ToBytes(pyStr(arg))
    if (options.legacy) {
      h.update(data)
      h.update(utf8ToBytes(':'))
    } else {
      h.update(utf8ToBytes(`${data.length}:`))
      h.update(data)
      h.update(utf8ToBytes(','))
    }
  }
  return `template.cache.${fragmentName}.${bytesToHex(h.digest())}`
}

/** What `cacheFragment` caches and where. */
export interface CacheFragmentOptions {
  /** Seconds (an integer-valued string is accepted, as Django's `int()`); `null` caches forever; `<= 0` re-renders every time. */
  timeout: number | string | null
  /** The fragment name (used as is in the key). */
  name: string
  /** Values the fragment varies on (e.g. the user name). Default none. */
  varyOn?: readonly unknown[]
  /** An alias; an unknown one throws `InvalidCacheBackendError`. Default: `template_fragments` if configured, else `default`. */
  using?: string
  /** Where aliases are looked up. Default: the process-wide `caches`. */
  registry?: CacheRegistry
  /** Tags stored with the fragment, so `invalidateTags` drops it (docs/contract.md rule 17). Default none. */
  tags?: Iterable<string>
}

// Django applies int() to the resolved expire time (`2.7` → 2, `'abc'` → error).
function fragmentTimeout(timeout: unknown): number | null {
  if (timeout === null) return null
  if (typeof timeout === 'number' && Number.isFinite(timeout)) return Math.trunc(timeout)
  if (typeof timeout === 'string' && /^\s*[+-]?\d+\s*$/.test(timeout)) return Number.parseInt(timeout, 10)
  throw new TypeError(
    `"cache" tag got a non-integer timeout value: ${JSON.stringify(timeout) ?? String(timeout)}. Pass a number of seconds, or null to cache forever.`,
  )
}

function fragmentCache(registry: CacheRegistry, using: string | undefined): Cache {
  if (using !== undefined) return registry.get(using)
  return registry.get(registry.has('template_fragments') ? 'template_fragments' : 'default')
}

/**
 * The `{% cache %}` tag's render step: the cached string for this fragment and `varyOn`, or
 * `render()`'s result, stored for `timeout` seconds. Concurrent misses share one render; a
 * failing cache only costs a re-render.
 */
export async function cacheFragment(
  options: CacheFragmentOptions,
  render: () => string | Promise<string>,
): Promise<string> {
  const timeout = fragmentTimeout(options.timeout)
  const cache = fragmentCache(options.registry ?? caches, options.using)
  const key = makeTemplateFragmentKey(options.name, options.varyOn)
  // Reads answer a miss when storage is unreachable (docs/contract.md rule 15); a bad key still throws.
  const cached = await cache.get<unknown>(key)
  // A cached null is never a hit (Django re-renders on None).
  if (typeof cached === 'string') return cached
  // Concurrent misses for one fragment in one cache render once (as getOrSet, docs/contract.md rule 9).
  let pending = inflight.get(cache)
  if (!pending) {
    pending = new Map()
    inflight.set(cache, pending)
  }
  const running = pending.get(key)
  if (running) return running
  const flight = renderAndStore(cache, key, timeout, render, options.tags)
  pending.set(key, flight)
  try {
    return await flight
  } finally {
    pending.delete(key)
  }
}

const inflight = new WeakMap<Cache, Map<string, Promise<string>>>()

async function renderAndStore(
  cache: Cache,
  key: string,
  timeout: number | null,
  render: () => string | Promise<string>,
  tags: Iterable<string> | undefined,
): Promise<string> {
  const value = await render()
  try {
    await cache.set(key, value, timeout, tags === undefined ? undefined : { tags })
  } catch (error) {
    // Unreachable storage (rule 15): the fragment is still rendered, just not stored.
    if (!(error instanceof CacheUnavailableError)) throw error
  }
  return value
}
