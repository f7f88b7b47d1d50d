/**
 * Leases on memcached's meta protocol (docs/contract.md rule 16). `mg <leaseKey> N<ttl> c`
 * vivifies a missing item and answers `W` (won) to exactly one client, `Z` to every later one
 * until the item goes; the winner releases with `md <leaseKey> C<cas>`, which deletes only its
 * own item (memcached's `doc/protocol.txt`, "Meta Get" flags N/c and answers W/Z; "Meta Delete"
 * flag C). The server picks the winner atomically, across every process and host.
 *
 * Why a separate lease key rather than `N` on the entry itself: the vivified stub is an ordinary
 * empty item with flags 0, which a plain `get` (ours, or Django's pymemcache) would read as an
 * empty bytes value. A lease key keeps the entry's readers unaware of leases.
 *
 * Servers older than 1.6.10 (meta answers changed from `OK` to `HD` then; `version` tells) or
 * that refuse the commands (`ERROR`, as before 1.5.19, or a proxy that does not pass them)
 * make the caller fall back to the `add` lease; the cache warns once.
 */
import type { ServerAddress } from './memcached-location.ts'
import { textRequest } from './memcached-text.ts'

/** What `acquire` answers when this server cannot do meta leases. */
export const NO_META: unique symbol = Symbol('cachework.memcached.noMeta')

/** The first version whose meta protocol cachework speaks. */
const MIN_VERSION = [1, 6, 10] as const

const lineDone = (r: Buffer) => r.indexOf('\r\n') >= 0

/** Whether `VERSION a.b.c` is at least 1.6.10. */
export function metaCapable(versionLine: string): boolean {
  const m = /^VERSION (\d+)\.(\d+)\.(\d+)/.exec(versionLine)
  if (!m) return false
  const v = [Number(m[1]), Number(m[2]), Number(m[3])]
  for (let i = 0; i < 3; i++) {
    const a = v[i] as number
    const b = MIN_VERSION[i] as number
    if (a !== b) return a > b
  }
  return true
}

/** Per-server meta leases; `why` says why the fallback is used once it is. */
export class MetaLeases {
  private readonly capable = new Map<string, Promise<boolean>>()
  /** Why the last server fell back (for the one-time warning). */
  why = ''

  constructor(private readonly timeoutMs: number) {}

  private check(server: ServerAddress): Promise<boolean> {
    let p = this.capable.get(server.name)
    if (!p) {
      p = textRequest(server, 'version\r\n', lineDone, this.timeoutMs).then((r) => {
        const line = r.toString('latin1').trim()
        if (metaCapable(line)) return true
        this.why = `memcached ${server.name} answered '${line.slice(0, 60)}' (meta leases need 1.6.10 or later)`
        return false
      })
      // A failed check (server down) is asked again next time rather than remembered.
      p.catch(() => this.capable.delete(server.name))
      this.capable.set(server.name, p)
    }
    return p
  }

  /** `mc:<cas>` when this call won, `undefined` when another holds it, or `NO_META`. */
  async acquire(
    server: ServerAddress,
    leaseKey: string,
    ttlMs: number,
  ): Promise<string | undefined | typeof NO_META> {
    if (!(await this.check(server))) return NO_META
    // memcached's TTLs are whole seconds: the lease lives between ttl-1 and ttl seconds.
    const ttl = Math.max(1, Math.ceil(ttlMs / 1000))
    const reply = (await textRequest(server, `mg ${leaseKey} N${ttl} c\r\n`, lineDone, this.timeoutMs))
      .toString('latin1')
      .trim()
    const head = reply.split(' ')
    if (head[0] !== 'HD' && head[0] !== 'VA') {
      this.capable.set(server.name, Promise.resolve(false))
      this.why = `memcached ${server.name} refused 'mg … N': ${reply.slice(0, 60)}`
      return NO_META
    }
    if (!head.includes('W')) return undefined
    const cas = head.find((t) => t.startsWith('c'))
    return `mc:${cas ? cas.slice(1) : '0'}`
  }

  /** Delete the lease item if it is still ours (same CAS); `false` when the token is not a meta one. */
  async release(server: ServerAddress, leaseKey: string, token: string): Promise<boolean> {
    if (!token.startsWith('mc:')) return false
    await textRequest(server, `md ${leaseKey} C${token.slice(3)}\r\n`, lineDone, this.timeoutMs)
    return true
  }
}
