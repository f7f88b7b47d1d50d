/** Notes printed under bench tables: targets met or missed, and how loaded the machine was. */
import { cpus, loadavg } from 'node:os'
import { type Row, ratio } from '../harness.ts'

/** "label: 1.23× (target ≥ min×) — met" (or MISSED) for the ratio of the rows named `a` / `b`. */
export function targetNote(rows: Row[], a: string, b: string, min: number, label: string): string {
  const r = ratio({ title: '', rows }, a, b)
  return `${label}: ${r.toFixed(2)}× (target ≥ ${min}×) — ${r >= min ? 'met' : 'MISSED'}`
}

/** The 1/5/15-minute load average and core count now, as a note: other work moves the numbers. */
export function loadNote(): string {
  return `Load average during the run: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ')} (1/5/15 min) on ${cpus().length} cores: other work on the machine moves these numbers.`
}
