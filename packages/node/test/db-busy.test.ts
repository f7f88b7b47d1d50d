/**
 * Issue 12 H3: another process holds the SQLite write lock (`BEGIN IMMEDIATE`). better-sqlite3 is
 * synchronous, so a busy wait inside it would freeze the event loop; docs/contract.md rule 15
 * asks for a miss within `timeoutMs` and a clean rejection instead. The event loop is shown
 * alive by counting the ticks of a 1 ms interval while the calls run, never by timing them.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CacheUnavailableError } from '@cachework/core'
import { afterAll, describe, expect, it } from 'vitest'
import { DatabaseCache } from '../src/db.ts'
import { supportFile, TS_NODE_ARGS } from './support/db-child.ts'

const dir = mkdtempSync(join(tmpdir(), 'cachework-dbbusy-'))
const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

/** Start a process that holds the write lock on `database` until its stdin closes. */
async function lockHolder(database: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...TS_NODE_ARGS, supportFile('sqlite-locker.ts'), database], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  children.push(child)
  let err = ''
  child.stderr?.on('data', (d) => {
    err += d
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`lock holder exited (${code}): ${err}`)))
  })
  return child
}

/** Run `op` beside a 1 ms interval; how many times the interval ran before `op` settled. */
async function ticksDuring(
  op: () => Promise<unknown>,
): Promise<{ ticks: number; result: PromiseSettledResult<unknown> }> {
  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  try {
    const [result] = await Promise.allSettled([op()])
    return { ticks, result: result as PromiseSettledResult<unknown> }
  } finally {
    clearInterval(timer)
  }
}

const pace = () => new Promise((r) => setTimeout(r, 100))

describe('db: another process holds the write lock (issue 12 H3)', () => {
  it('reads answer without freezing the event loop, writes reject after timeoutMs on timers, and all recovers', {
    timeout: 60_000,
  }, async () => {
    const database = join(dir, 'busy.sqlite3')
    let now = Date.now()
    const clock = { now: () => now }
    const c = new DatabaseCache({ location: 'busy', options: { database, timeoutMs: 300, clock } })
    await c.set('expired', 'old', 10)
    await c.set('live', 'here', 3600)
    await c.set('n', 1, 3600)
    now += 60_000 // 'expired' is now past its time; the row is still in the table
    const holder = await lockHolder(database)

    // Reads: a miss for the expired row (its removal is left for later), a hit for the live one
    // (WAL readers do not need the lock). Paced by a 100 ms timer: a loop blocked by a busy wait ticks once at most.
    const read = await ticksDuring(() =>
      Promise.all([c.get('expired', 'miss'), c.getMany(['expired', 'live']), pace()]),
    )
    expect(read.result).toEqual({ status: 'fulfilled', value: ['miss', { live: 'here' }, undefined] })
    expect(read.ticks).toBeGreaterThanOrEqual(4)

    // Writes: each rejects with CacheUnavailableError once timeoutMs runs out, retrying on timers.
    const writes: Array<[string, () => Promise<unknown>]> = [
      ['set', () => c.set('fresh', 1)],
      ['add', () => c.add('other', 1)],
      ['incr', () => c.incr('n')],
      ['delete', () => c.delete('live')],
      ['setMany', () => c.setMany({ a: 1, b: 2 })],
    ]
    for (const [name, op] of writes) {
      const w = await ticksDuring(op)
      expect([name, w.result.status]).toEqual([name, 'rejected'])
      const reason = (w.result as PromiseRejectedResult).reason
      expect(reason).toBeInstanceOf(CacheUnavailableError)
      expect(String(reason.message)).toMatch(/locked by another connection/)
      expect([name, w.ticks >= 4]).toEqual([name, true])
    }

    holder.stdin?.end()
    await once(holder, 'exit')
    // The lock is gone: writes go through again, and the expired row can now be removed.
    expect(await c.set('fresh', 2)).toBe(true)
    expect(await c.incr('n')).toBe(2)
    expect(await c.get('expired', 'miss')).toBe('miss')
    expect(await c.get('live')).toBe('here')
    await c.close()
  })
})
