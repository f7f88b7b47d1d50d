/**
 * What the memcached and redis contenders share: `n` keys under a prefix with string values
 * (~100 bytes, or 4 KiB), a fixed pseudo-random read order, and the operation a round calls,
 * built from a client's own get, set and multi-get so every contender runs the same work.
 */
import { shuffledOrder } from './order.ts'

/** The operations a round can time; 100 keys per call for all but `get` and `set`. */
export type KeyOp = 'get' | 'set' | 'getMany' | 'getSeq' | 'getAll'

/** Keys, values and a pseudo-random order (the same in every process, Python's aside). */
export function keyFixture(n: number, prefix: string, shape: 'small' | '4k' = 'small') {
  const keys = Array.from({ length: n }, (_, i) => `${prefix}-${i}`)
  const pad = 'x'.repeat(shape === '4k' ? 4096 - 16 : 84)
  const value = (i: number) => `value-${String(i).padStart(8, '0')}-${pad}`
  const order = shuffledOrder(n)
  const keyAt = (i: number) => keys[order[i % n] as number] as string
  const batchAt = (i: number) => Array.from({ length: 100 }, (_, j) => keyAt(i * 100 + j))
  return { keys, value, keyAt, batchAt }
}

/** A client's operations, as a contender wraps them. */
export interface KeyClient {
  get(k: string): Promise<unknown>
  set(k: string, v: string): Promise<unknown>
  many(ks: string[]): Promise<unknown>
}

/**
 * The call a round times for `op` (`getMany`: one multi-get of 100 keys; `getSeq`: 100 awaited
 * gets; `getAll`: 100 gets at once), `conc` of them in flight per call, the calls per batch,
 * and `fill`, which stores every key 100 at a time.
 */
export function keyOps(
  p: { n: number; op: KeyOp; conc: number },
  f: ReturnType<typeof keyFixture>,
  c: KeyClient,
): { op: (i: number) => Promise<unknown>; batch: number; fill: () => Promise<void> } {
  const { get, set, many } = c
  const one =
    p.op === 'get'
      ? (i: number) => get(f.keyAt(i))
      : p.op === 'set'
        ? (i: number) => set(f.keyAt(i), f.value(i % p.n))
        : p.op === 'getMany'
          ? (i: number) => many(f.batchAt(i))
          : p.op === 'getSeq'
            ? async (i: number) => {
                for (const k of f.batchAt(i)) await get(k)
              }
            : (i: number) => Promise.all(f.batchAt(i).map(get))
  const op =
    p.conc === 1
      ? one
      : (i: number) => Promise.all(Array.from({ length: p.conc }, (_, j) => one(i * p.conc + j)))
  const batch = p.op === 'get' || p.op === 'set' ? (p.conc === 1 ? 100 : 5) : 5
  const fill = async () => {
    for (let i = 0; i < p.n; i += 100) {
      await Promise.all(f.keys.slice(i, i + 100).map((k, j) => set(k, f.value(i + j))))
    }
  }
  return { op, batch, fill }
}
