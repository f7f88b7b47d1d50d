/**
 * Leases for the `file` backend (docs/contract.md rule 16): a lease file created with `O_EXCL`
 * (`wx`, atomic on local filesystems) holding `{ token, until, pid, host }`. A lease whose time
 * is up, or whose holder on this host is gone (`kill(pid, 0)` → `ESRCH`, e.g. after SIGKILL), is
 * taken over: renamed away first (only one process's rename of it succeeds), then created anew.
 */
import { linkSync, readFileSync, renameSync, unlinkSync } from 'node:fs'
import { createExclusive, goneOnThisHost, host } from './file-fs.ts'

interface LeaseFile {
  token: string
  until: number
  pid: number
  host: string
}

function readLease(path: string): LeaseFile | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as LeaseFile
    return typeof v?.token === 'string' && typeof v.until === 'number' ? v : undefined
  } catch {
    // Missing, or being written this instant: treated as held (never broken half-written).
    return undefined
  }
}

function holderGone(rec: LeaseFile): boolean {
  return goneOnThisHost(rec.pid, rec.host)
}

function create(path: string, rec: LeaseFile): boolean {
  return createExclusive(path, JSON.stringify(rec))
}

/** Take the lease file at `path` for `ttlMs`; `true` when this call holds it now. */
export function tryFileLease(path: string, token: string, ttlMs: number): boolean {
  const rec: LeaseFile = { token, until: Date.now() + ttlMs, pid: process.pid, host }
  for (let attempt = 0; attempt < 3; attempt++) {
    if (create(path, rec)) return true
    const held = readLease(path)
    if (held === undefined || (held.until > Date.now() && !holderGone(held))) return false
    // Take over a dead or expired lease: move it aside, and check it is the one we judged.
    const aside = `${path}.${token}.old`
    try {
      renameSync(path, aside)
    } catch {
      continue // someone else moved it first
    }
    const moved = readLease(aside)
    if (moved?.token !== held.token) {
      // A fresh lease was taken between our read and our rename: put it back.
      try {
        linkSync(aside, path)
      } catch {
        // The name is taken again already; the fresh holder's lease was lost (rare, logged by nobody).
      }
    }
    try {
      unlinkSync(aside)
    } catch {
      // Already gone.
    }
  }
  return false
}

/** Remove the lease file if it is still `token`'s. */
export function releaseFileLease(path: string, token: string): void {
  if (readLease(path)?.token !== token) return
  try {
    unlinkSync(path)
  } catch {
    // Taken over meanwhile.
  }
}
