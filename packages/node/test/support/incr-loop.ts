// The loop the incr worker processes share (db-incr-worker.ts, file-incr-worker.ts).
import type { Cache } from '@cachework/core'

/** What a worker reports on stdout as JSON: how many `incr` calls failed, and their distinct messages. */
export interface IncrReport {
  errors: number
  messages: string[]
}

/** `incr` `key` in `cache` `times` times one after another, counting the calls that fail instead of stopping. */
export async function incrRepeatedly(cache: Cache, key: string, times: number): Promise<IncrReport> {
  let errors = 0
  const messages = new Set<string>()
  for (let i = 0; i < times; i++) {
    try {
      await cache.incr(key)
    } catch (e) {
      errors++
      messages.add(String((e as Error).message))
    }
  }
  return { errors, messages: [...messages] }
}
