/**
 * The median of several counted windows with their min–max: how the http bench's instruction
 * table (bench/support/callgrind.ts) reports a server, so that one window that differs from the
 * others (see the Method section of docs/benchmarks.md) neither sets the figure nor is hidden.
 */
import { median } from './rounds.ts'

export interface Spread {
  median: number
  min: number
  max: number
}

/** The median of `xs` with their lowest and highest; NaN in every field when `xs` is empty. */
export function spread(xs: readonly number[]): Spread {
  if (xs.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN }
  return { median: median([...xs]), min: Math.min(...xs), max: Math.max(...xs) }
}

/** `71,617 (71,478–128,983)`: a spread of counts rounded to whole numbers. */
export function formatSpread(s: Spread): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US')
  return `${n(s.median)} (${n(s.min)}–${n(s.max)})`
}
