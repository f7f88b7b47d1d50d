/**
 * The pure parts of the http bench's paired rounds (bench/support/paired.ts): the order rows
 * run in and the per-round ratio a target is judged on. No timing here: the figures are given.
 */
import { describe, expect, it } from 'vitest'
import { formatPaired, groupedOrder, pairedRatio } from '../../../bench/support/paired.ts'

describe('groupedOrder', () => {
  const groups = [['a1', 'a2', 'a3'], ['b1', 'b2'], ['c1']]

  it('runs round 0 in the order given', () => {
    expect(groupedOrder(groups, 0)).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'c1'])
  })

  it('rotates the groups and the members of each group by one each round', () => {
    expect(groupedOrder(groups, 1)).toEqual(['b2', 'b1', 'c1', 'a2', 'a3', 'a1'])
    expect(groupedOrder(groups, 2)).toEqual(['c1', 'a3', 'a1', 'a2', 'b1', 'b2'])
  })

  it('keeps every group back to back and runs each row once per round', () => {
    for (let round = 0; round < 12; round++) {
      const order = groupedOrder(groups, round)
      expect([...order].sort()).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'c1'])
      for (const g of groups) {
        const at = g.map((name) => order.indexOf(name)).sort((x, y) => x - y)
        expect((at.at(-1) as number) - (at[0] as number)).toBe(g.length - 1)
      }
    }
  })

  it('puts every member of a group in every position of its group over as many rounds as it has members', () => {
    const group = ['x', 'y', 'z', 'w', 'v']
    const positions = new Map(group.map((name) => [name, new Set<number>()]))
    for (let round = 0; round < group.length; round++) {
      for (const [i, name] of groupedOrder([group], round).entries()) positions.get(name)?.add(i)
    }
    for (const seen of positions.values()) expect([...seen].sort()).toEqual([0, 1, 2, 3, 4])
  })
})

describe('pairedRatio', () => {
  it('takes the median of the per-round ratios, not the ratio of the medians', () => {
    // Per round: 0.9, 1.0, 0.8, 1.1, 0.95 -> median 0.95. The ratio of the medians would be 90/100 = 0.9.
    const a = [90, 200, 80, 110, 57]
    const b = [100, 200, 100, 100, 60]
    const p = pairedRatio(a, b)
    expect(p.median).toBeCloseTo(0.95, 10)
    expect(p.min).toBeCloseTo(0.8, 10)
    expect(p.max).toBeCloseTo(1.1, 10)
    expect(p.rounds).toBe(5)
  })

  it('averages the middle two ratios for an even count of rounds', () => {
    const p = pairedRatio([1, 2, 3, 4], [1, 1, 1, 1])
    expect(p).toEqual({ median: 2.5, min: 1, max: 4, rounds: 4 })
  })

  it('leaves out rounds where either figure is missing, NaN or zero in the divisor', () => {
    const p = pairedRatio([2, Number.NaN, 3, 8, 5], [1, 1, 0, 4])
    expect(p).toEqual({ median: 2, min: 2, max: 2, rounds: 2 })
  })

  it('reports NaN, not a figure, when no round has both', () => {
    const p = pairedRatio([Number.NaN], [1])
    expect(p.rounds).toBe(0)
    expect(p.median).toBeNaN()
    expect(formatPaired(p)).toBe('NaN× (NaN–NaN)')
  })

  it('prints the median with its per-round range', () => {
    expect(formatPaired({ median: 0.944, min: 0.851, max: 1.016, rounds: 10 })).toBe('0.94× (0.85–1.02)')
  })
})
