/**
 * Paired rounds (the method at the top of docs/benchmarks.md), the pure parts: the order in
 * which grouped contenders run in a round, and the ratio of two contenders taken within each
 * round. On a shared machine throughput drifts over seconds; two contenders run back to back in
 * one round see the same drift, so the ratio of their two figures in that round moves far less
 * than either figure does, and the median of those per-round ratios is what a target is judged on.
 */
import { median } from './rounds.ts'

/**
 * The order of round `round`: the groups rotated by `round`, and the members of each group
 * rotated by `round` (modulo the group's size), so members of a group always run back to back,
 * each member takes every position in its group in turn, and each group every position among
 * the groups.
 */
export function groupedOrder<T>(groups: readonly (readonly T[])[], round: number): T[] {
  const order: T[] = []
  for (let g = 0; g < groups.length; g++) {
    const group = groups[(g + round) % groups.length] as readonly T[]
    for (let i = 0; i < group.length; i++) order.push(group[(i + round) % group.length] as T)
  }
  return order
}

/** The median of the per-round ratios `a[i] / b[i]`, with the lowest and highest of them. */
export interface PairedRatio {
  median: number
  min: number
  max: number
  /** How many rounds had a finite ratio (both figures measured, `b` not 0). */
  rounds: number
}

/**
 * `a[i] / b[i]` for every round `i` both measured, then their median with min–max. Rounds where
 * either figure is missing or not finite (a failed /proc read) are left out; with none left
 * every field is NaN (and `rounds` 0), so a note shows NaN rather than a made-up figure.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): PairedRatio {
  const ratios: number[] = []
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const r = (a[i] as number) / (b[i] as number)
    if (Number.isFinite(r)) ratios.push(r)
  }
  if (ratios.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, rounds: 0 }
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), rounds: ratios.length }
}

/** `0.94× (0.85–1.02)`: a paired ratio as notes print it. */
export function formatPaired(p: PairedRatio): string {
  return `${p.median.toFixed(2)}× (${p.min.toFixed(2)}–${p.max.toFixed(2)})`
}
