/**
 * How a bench target note is judged (bench/support/notes.ts): round by round when both rows carry
 * the same rounds, else on the two figures the table shows. No timing here: the figures are given.
 */
import { describe, expect, it } from 'vitest'
import type { Row } from '../../../bench/harness.ts'
import { targetNote } from '../../../bench/support/notes.ts'
import { roundsRow } from '../../../bench/support/rounds.ts'

describe('targetNote', () => {
  it('judges on the median of the per-round ratios when both rows share rounds', () => {
    // Each round `a` is 0.95x `b`, except one round in which something else took the machine
    // from `a`: the ratio of the medians reads 0.50x, round by round it is 0.95x.
    const rows = [roundsRow('a', [95, 95, 190, 190, 100]), roundsRow('b', [100, 100, 200, 200, 200])]
    expect(targetNote(rows, 'a', 'b', 0.9, 'a vs b')).toBe(
      'a vs b: 0.95× (0.50–0.95) by round over 5 rounds; 0.50× of the medians (target ≥ 0.9×, by round) — met',
    )
    expect(targetNote(rows, 'a', 'b', 0.96, 'a vs b').endsWith('— MISSED')).toBe(true)
  })

  it('misses a target the medians would meet when the rounds say so', () => {
    // The machine slowed down after two rounds; `a` ran at 0.85x `b` in every round but one.
    const rows = [roundsRow('a', [170, 170, 170, 85, 85]), roundsRow('b', [200, 200, 100, 100, 100])]
    expect(targetNote(rows, 'a', 'b', 0.9, 'x')).toBe(
      'x: 0.85× (0.85–1.70) by round over 5 rounds; 1.70× of the medians (target ≥ 0.9×, by round) — MISSED',
    )
  })

  it('falls back to the ratio of the figures without rounds, or with fewer than 3 shared', () => {
    const plain: Row[] = [
      { name: 'a', opsPerSec: 92 },
      { name: 'b', opsPerSec: 100 },
    ]
    expect(targetNote(plain, 'a', 'b', 0.9, 'a vs b')).toBe('a vs b: 0.92× (target ≥ 0.9×) — met')
    const short = [roundsRow('a', [50, 92]), roundsRow('b', [100, 100])]
    expect(targetNote(short, 'a', 'b', 0.9, 'a vs b')).toBe('a vs b: 0.71× (target ≥ 0.9×) — MISSED')
  })
})
