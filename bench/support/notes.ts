/** Notes printed under bench tables: targets met or missed, and how loaded the machine was. */
import { cpus, loadavg } from 'node:os'
import { type Row, ratio } from '../harness.ts'
import { formatPaired, pairedRatio } from './paired.ts'

/** Fewest rounds both rows must share before a target is judged round by round. */
const MIN_PAIRED_ROUNDS = 3

/**
 * "label: 1.23× … (target ≥ min×) — met" (or MISSED) for rows `a` against `b`. When both rows
 * were measured in the same rounds (support/rounds.ts keeps each round's figure), the target is
 * judged on the median of the per-round ratios (support/paired.ts: contenders of one round see
 * the same machine, so that ratio drifts far less than either median does), printed with its
 * min–max and, beside it, the ratio of the two medians the table shows. Otherwise it is judged
 * on the ratio of the two figures the table shows.
 */
export function targetNote(rows: Row[], a: string, b: string, min: number, label: string): string {
  const ra = rows.find((r) => r.name === a)?.rounds
  const rb = rows.find((r) => r.name === b)?.rounds
  const ofMedians = ratio({ title: '', rows }, a, b)
  if (ra && rb) {
    const p = pairedRatio(ra, rb)
    if (p.rounds >= MIN_PAIRED_ROUNDS) {
      return `${label}: ${formatPaired(p)} by round over ${p.rounds} rounds; ${ofMedians.toFixed(2)}× of the medians (target ≥ ${min}×, by round) — ${verdict(p.median, min)}`
    }
  }
  return `${label}: ${ofMedians.toFixed(2)}× (target ≥ ${min}×) — ${verdict(ofMedians, min)}`
}

/** How a note words a figure against its target. */
function verdict(figure: number, min: number): string {
  return figure >= min ? 'met' : 'MISSED'
}

/** The 1/5/15-minute load average and core count now, as a note: other work moves the numbers. */
export function loadNote(): string {
  return `Load average during the run: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ')} (1/5/15 min) on ${cpus().length} cores: other work on the machine moves these numbers.`
}
