/**
 * The arithmetic of `incr`/`decr` (docs/contract.md rule 7): Django's `incr` adds to a stored
 * integer and refuses anything else; here a `number` past 2^53 is refused too, and a `bigint`
 * counts on exactly.
 */

function isIntegerValue(v: unknown): v is number | bigint {
  return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint'
}

/** Add `delta` to a stored integer, as Django's `incr` does, rejecting non-integers (rule 7). */
export function addDelta(value: unknown, delta: number, callerKey: string): number {
  if (!isIntegerValue(value)) {
    throw new TypeError(`Cannot incr/decr '${callerKey}': the stored value is not an integer`)
  }
  if (typeof value === 'bigint') return (value + BigInt(delta)) as unknown as number
  const next = (value as number) + delta
  // Past 2^53 a number is no longer exact: refuse before anything is written (store a bigint
  // to count further; docs/contract.md rule 7).
  if (!Number.isSafeInteger(next))
    throw new RangeError(unsafeIncrMessage(callerKey, `${BigInt(value as number) + BigInt(delta)}`))
  return next
}

/** The message of the `RangeError` an `incr` past `Number.MAX_SAFE_INTEGER` rejects with. */
export function unsafeIncrMessage(callerKey: string, exact: string): string {
  return `Cannot incr/decr '${callerKey}': the result ${exact} is past Number.MAX_SAFE_INTEGER (store a bigint to count beyond 2^53)`
}

/** Reject a `delta` that is not a safe integer (rule 7), before any key is touched. */
export function checkDelta(delta: number): void {
  if (!Number.isSafeInteger(delta)) throw new TypeError(`delta must be a safe integer, got ${delta}`)
}
