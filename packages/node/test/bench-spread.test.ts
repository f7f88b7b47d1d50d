/**
 * The pure part of the http bench's instruction table (bench/support/spread.ts): the median of
 * a server's counted windows with their min–max. No timing here: the counts are given.
 */
import { describe, expect, it } from 'vitest'
import { formatSpread, spread } from '../../../bench/support/spread.ts'

describe('spread', () => {
  it('takes the middle window of an odd count, so one outlier window does not move it', () => {
    expect(spread([71_478, 128_983, 71_617, 71_667, 72_254])).toEqual({
      median: 71_667,
      min: 71_478,
      max: 128_983,
    })
  })

  it('takes the mean of the middle two of an even count', () => {
    expect(spread([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 })
  })

  it('does not reorder the windows it is given', () => {
    const xs = [3, 1, 2]
    spread(xs)
    expect(xs).toEqual([3, 1, 2])
  })

  it('is NaN in every field with no window rather than a made-up figure', () => {
    const s = spread([])
    expect([s.median, s.min, s.max].every(Number.isNaN)).toBe(true)
  })
})

describe('formatSpread', () => {
  it('prints whole counts with the range in parentheses', () => {
    expect(formatSpread({ median: 71_666.6, min: 71_478.2, max: 128_983 })).toBe('71,667 (71,478–128,983)')
  })
})
