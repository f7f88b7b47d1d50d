/**
 * `dummy`: Django's DummyCache (django/core/cache/backends/dummy.py), which stores nothing: every read misses,
 * `set`/`add` report success, `touch`/`delete` report false, `incr` finds no key. Keys and
 * values are still validated, so code developed against it does not break on a real backend.
 */
import { BaseCache, type RawEntry, type StoredEntry } from '../base-cache.ts'
import { isolatedCopy } from '../clone.ts'

/** The backend that caches nothing (`dummy`). */
export class DummyCache extends BaseCache {
  static override readonly backendName: string = 'dummy'

  protected async _get(): Promise<StoredEntry | undefined> {
    return undefined
  }
  protected async _set(_rawKey: string, value: unknown): Promise<boolean> {
    isolatedCopy(value)
    return true
  }
  protected async _add(_rawKey: string, value: unknown): Promise<boolean> {
    isolatedCopy(value)
    return true
  }
  protected async _touch(): Promise<boolean> {
    return false
  }
  protected async _delete(): Promise<boolean> {
    return false
  }
  protected async _clear(): Promise<void> {}
  protected async *_entries(): AsyncIterable<RawEntry> {}
}
