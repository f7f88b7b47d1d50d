/**
 * A realm-wide list of caches for inspection tools (devtools). Core never imports devtools;
 * devtools reads this list. It lives on `globalThis` under a registered symbol so that two
 * copies of core in one realm (a bundled copy and a source copy, or Vite's SSR module runner
 * beside Node's own import) still share one list. Adding costs one `Set.add`; nothing else in
 * core consults it, so it is free when no tool looks.
 */
import type { Cache } from './types.ts'

interface InspectState {
  caches: Set<Cache>
  sources: Set<() => Cache[]>
}

const KEY = Symbol.for('cachework.inspect')

function state(): InspectState {
  const g = globalThis as { [KEY]?: InspectState }
  g[KEY] ??= { caches: new Set(), sources: new Set() }
  return g[KEY]
}

/**
 * Make a cache built with `new` (outside the `caches` registry) visible to devtools in this
 * realm. Returns a function that removes it again. Caches from `caches.get()` need no call.
 */
export function inspectCache(cache: Cache): () => void {
  const s = state()
  s.caches.add(cache)
  return () => {
    s.caches.delete(cache)
  }
}

/**
 * Register a function listing caches (a registry's `initialized`) for inspection; core does
 * this for the process-wide `caches`. Returns a function that removes it.
 */
export function inspectSource(list: () => Cache[]): () => void {
  const s = state()
  s.sources.add(list)
  return () => {
    s.sources.delete(list)
  }
}

/** Every cache visible to inspection in this realm, without duplicates. */
export function inspectedCaches(): Cache[] {
  const s = state()
  const out = new Set<Cache>()
  for (const list of s.sources) {
    try {
      for (const c of list()) out.add(c)
    } catch {
      // A registry whose configuration is broken lists nothing rather than breaking the tool.
    }
  }
  for (const c of s.caches) out.add(c)
  return [...out]
}
