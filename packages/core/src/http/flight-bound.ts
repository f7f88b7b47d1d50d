/** A bounded wait on another request's work (single-flight waiters: docs/contract.md rule 20). */

/**
 * `promise`'s value, or `fallback` once `ms` milliseconds have passed without it settling. A
 * rejection of `promise` is passed on. The timer is cleared as soon as either side wins.
 */
export function settleWithin<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => resolve(fallback), Math.max(0, ms))
    promise.then(
      (v) => {
        clearTimeout(timer)
        resolve(v)
      },
      (e: unknown) => {
        clearTimeout(timer)
        reject(e)
      },
    )
  })
}
