/**
 * The listing as it crosses Vite's WebSocket: field names once, then one array per entry
 * (`{ fields: ['cache', 'rawKey', …], rows: [['c1', ':1:a', …], …] }`), instead of 10,000 objects
 * each repeating every name (a third of the bytes for small values). JSON only, like the rest of
 * the protocol; `unpackSnapshot` gives back exactly the `Snapshot` that was packed.
 */
import type { Snapshot, WireEntry } from './protocol.ts'

/** A `Snapshot` with its entries packed. */
export interface PackedSnapshot {
  packed: 1
  caches: Snapshot['caches']
  truncated?: boolean
  /** Every entry field present in at least one entry. */
  fields: string[]
  /** One array per entry, in `fields` order: `null` where the entry has no such field (trailing ones dropped). */
  rows: unknown[][]
}

// The one field whose value may be null itself (never expires); every other null means "absent".
const NULLABLE = 'expiresAt'

/** Pack a snapshot for the wire. */
export function packSnapshot(s: Snapshot): PackedSnapshot {
  const names = new Set<string>(['cache', 'rawKey', NULLABLE, 'preview'])
  for (const e of s.entries) for (const k in e) names.add(k)
  const fields = [...names]
  const rows: unknown[][] = new Array(s.entries.length)
  for (let i = 0; i < s.entries.length; i++) {
    const e = s.entries[i] as unknown as Record<string, unknown>
    const row: unknown[] = []
    let last = 0
    for (let f = 0; f < fields.length; f++) {
      const v = e[fields[f] as string]
      row.push(v === undefined ? null : v)
      if (v !== undefined) last = f + 1
    }
    row.length = last
    rows[i] = row
  }
  const out: PackedSnapshot = { packed: 1, caches: s.caches, fields, rows }
  if (s.truncated) out.truncated = true
  return out
}

/** Whether an answer is a packed snapshot. */
export function isPackedSnapshot(v: unknown): v is PackedSnapshot {
  return typeof v === 'object' && v !== null && (v as { packed?: unknown }).packed === 1
}

/** The snapshot a `PackedSnapshot` was made from. */
export function unpackSnapshot(p: PackedSnapshot): Snapshot {
  const { fields, rows } = p
  const entries: WireEntry[] = new Array(rows.length)
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as unknown[]
    const e: Record<string, unknown> = {}
    for (let f = 0; f < fields.length; f++) {
      const name = fields[f] as string
      const v = f < row.length ? row[f] : null
      if (v !== null || name === NULLABLE) e[name] = v
    }
    entries[i] = e as unknown as WireEntry
  }
  return p.truncated ? { caches: p.caches, entries, truncated: true } : { caches: p.caches, entries }
}
