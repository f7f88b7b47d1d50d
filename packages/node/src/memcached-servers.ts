/**
 * The server set of the `memcached` backend (memcached.ts): the configured servers on a ketama
 * ring (ketama.ts), one binary-protocol connection and one text connection per server, and the
 * batching that makes `getMany`/`setMany`/`deleteMany` one round trip per server
 * (docs/contract.md rule 6). A failing server's keys are left out of a batch read (rule 15)
 * while the others still answer.
 */
import { CacheUnavailableError } from '@cachework/core'
import { KetamaRing } from './ketama.ts'
import type { ServerAddress } from './memcached-location.ts'
import { Connection, type Frame, frame, Op } from './memcached-protocol.ts'
import { TextConnection, type TextItem } from './memcached-text.ts'

/** The servers of one cache and their connections. */
export class ServerSet {
  private readonly ring: KetamaRing
  private readonly conns: Connection[]
  /** A second socket per server for multi-key `get`, the one text command the hot path needs. */
  private readonly textConns: TextConnection[]

  /** Connect lazily to `servers`; each request gives up after `requestMs`, a failed server is skipped for `retryMs`. */
  constructor(
    readonly servers: readonly ServerAddress[],
    requestMs: number,
    retryMs: number,
  ) {
    this.ring = new KetamaRing(servers.map((s) => s.name))
    this.conns = servers.map((s) => new Connection(s, requestMs, retryMs))
    this.textConns = servers.map((s) => new TextConnection(s, requestMs, retryMs))
  }

  /** The index of the server that owns `rawKey` on the ring. */
  indexOf(rawKey: string): number {
    return this.ring.serverFor(rawKey)
  }

  /** The server that owns `rawKey`. */
  serverOf(rawKey: string): ServerAddress {
    return this.servers[this.ring.serverFor(rawKey)] as ServerAddress
  }

  /** The connection of the server that owns `rawKey`. */
  connFor(rawKey: string): Connection {
    return this.conns[this.ring.serverFor(rawKey)] as Connection
  }

  /** Every server's connection (`flush_all` goes to each). */
  all(): readonly Connection[] {
    return this.conns
  }

  /** Group items by the server of their raw key, keeping order. */
  byServer<T>(items: T[], keyOf: (t: T) => string): Map<number, T[]> {
    const groups = new Map<number, T[]>()
    for (const item of items) {
      const i = this.ring.serverFor(keyOf(item))
      const g = groups.get(i)
      if (g) g.push(item)
      else groups.set(i, [item])
    }
    return groups
  }

  /**
   * Send one quiet command per item to server `server`, closed by a NOOP: one write, one round
   * trip. Resolves with the quiet responses (only failures or hits are answered), by item index.
   */
  pipeline(
    server: number,
    frames: (opaque: number, i: number) => Buffer,
    n: number,
  ): Promise<Array<[number, Frame]>> {
    const conn = this.conns[server] as Connection
    const base = conn.nextOpaque(n + 1)
    const parts: Buffer[] = []
    for (let i = 0; i < n; i++) parts.push(frames((base + i) >>> 0, i))
    const end = (base + n) >>> 0
    parts.push(frame(Op.NOOP, end, ''))
    const answers: Array<[number, Frame]> = []
    return conn
      .send(Buffer.concat(parts), end, (f) => answers.push([(f.opaque - base) >>> 0, f]))
      .then(() => answers)
  }

  /**
   * Raw items of the found keys, one `get k1 k2 …` per server (one request, one round trip);
   * a server that is unavailable is reported to `onError` and its keys are left out.
   */
  async getMany(rawKeys: string[], onError: (e: CacheUnavailableError) => void): Promise<TextItem[]> {
    if (this.servers.length === 1) return this.getFrom(0, rawKeys, onError)
    const groups = [...this.byServer(rawKeys, (k) => k)]
    return (await Promise.all(groups.map(([i, keys]) => this.getFrom(i, keys, onError)))).flat()
  }

  private async getFrom(
    i: number,
    keys: string[],
    onError: (e: CacheUnavailableError) => void,
  ): Promise<TextItem[]> {
    try {
      return await (this.textConns[i] as TextConnection).getMany(keys)
    } catch (e) {
      if (!(e instanceof CacheUnavailableError)) throw e
      onError(e)
      return []
    }
  }

  /** Close every socket (they reopen on next use). */
  close(): void {
    for (const c of this.conns) c.close()
    for (const c of this.textConns) c.close()
  }
}
