/**
 * The failure policy for backends whose storage can be unreachable (docs/contract.md rule 15):
 * every storage call runs under the alias's `timeoutMs`; a read that fails with
 * `CacheUnavailableError` answers a miss and reports `error`; a write rejects, or resolves
 * `false` when the alias sets `ignoreErrors`. Any other error (a bad key, a bad value) passes
 * through untouched.
 */
import { CacheUnavailableError } from './errors.ts'
import type { EventReporter } from './event-reporter.ts'

/** The settings `withTimeout` reads from a cache. */
export interface FailureSettings {
  readonly alias: string
  readonly backendName: string
  /** Milliseconds a storage call may take (`options.timeoutMs`, default 1000). */
  readonly timeoutMs: number
}

/** Race `op` against `settings.timeoutMs`; past it, reject with `CacheUnavailableError`. */
export function withTimeout<T>(op: Promise<T>, settings: FailureSettings, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new CacheUnavailableError(
            `${settings.backendName} cache '${settings.alias}' did not answer ${what} within ${settings.timeoutMs} ms`,
          ),
        ),
      settings.timeoutMs,
    )
  })
  return Promise.race([op, timeout]).finally(() => clearTimeout(timer))
}

/**
 * A read: unreachable storage answers `miss` and reports `error`. `timed` starts the storage
 * call under the cache's timeout (`BaseCache.withTimeout`, which a backend may override).
 */
export async function readOrMiss<T>(
  report: EventReporter,
  timed: () => Promise<T>,
  miss: T,
  rawKey?: string,
): Promise<T> {
  try {
    return await timed()
  } catch (e) {
    if (!(e instanceof CacheUnavailableError)) throw e
    report.error(e, rawKey)
    return miss
  }
}

/** A write that says whether it stored: unreachable storage rejects, or `false` under `ignoreErrors`. */
export async function writeOrRefuse(
  report: EventReporter,
  ignoreErrors: boolean,
  timed: () => Promise<boolean>,
  rawKey?: string,
): Promise<boolean> {
  try {
    return await timed()
  } catch (e) {
    if (!(e instanceof CacheUnavailableError)) throw e
    report.error(e, rawKey)
    if (ignoreErrors) return false
    throw e
  }
}

/** A write with a result of its own (`incr`, `clear`, …): unreachable storage always rejects. */
export async function writeOrThrow<T>(
  report: EventReporter,
  timed: () => Promise<T>,
  rawKey?: string,
): Promise<T> {
  try {
    return await timed()
  } catch (e) {
    if (e instanceof CacheUnavailableError) report.error(e, rawKey)
    throw e
  }
}
