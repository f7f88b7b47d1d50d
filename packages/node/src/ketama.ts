/**
 * Ketama consistent hashing, compatible with libmemcached's weighted ketama (equal weights) and
 * last.fm's original: 160 points per server, four 32-bit points per MD5 digest of
 * `"<server>-<i>"`, and a key goes to the first point at or after the first four bytes of its
 * MD5 (little-endian). Adding a server to n moves about 1/(n+1) of the keys, where memjs's
 * modulo hashing moves most of them.
 */
import { createHash } from 'node:crypto'

/** Points per server on the ring (libmemcached `MEMCACHED_POINTS_PER_SERVER_KETAMA`). */
export const KETAMA_POINTS_PER_SERVER = 160

function md5(text: string): Buffer {
  return createHash('md5').update(text).digest()
}

/** The ketama hash of a key: the first four MD5 bytes, little-endian (libmemcached `ketama_server_hash`). */
export function ketamaHash(key: string): number {
  const d = md5(key)
  return d.readUInt32LE(0)
}

/** A consistent-hash ring over server names; `serverFor(key)` returns the index of a server. */
export class KetamaRing {
  private readonly points: Uint32Array
  private readonly owners: Uint16Array
  readonly size: number

  /**
   * Build the ring. A name is `host:port`; as in libmemcached, the port is left out of the
   * point strings when it is memcached's default 11211.
   */
  constructor(names: readonly string[]) {
    this.size = names.length
    const pts: Array<[number, number]> = []
    names.forEach((name, owner) => {
      const base = name.endsWith(':11211') && !name.startsWith('/') ? name.slice(0, -6) : name
      for (let i = 0; i < KETAMA_POINTS_PER_SERVER / 4; i++) {
        const d = md5(`${base}-${i}`)
        for (let h = 0; h < 4; h++) pts.push([d.readUInt32LE(h * 4), owner])
      }
    })
    pts.sort((a, b) => a[0] - b[0] || a[1] - b[1])
    this.points = Uint32Array.from(pts, (p) => p[0])
    this.owners = Uint16Array.from(pts, (p) => p[1])
  }

  /** Index of the server that owns `key`. */
  serverFor(key: string): number {
    if (this.size === 1) return 0
    const h = ketamaHash(key)
    const pts = this.points
    let lo = 0
    let hi = pts.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((pts[mid] as number) < h) lo = mid + 1
      else hi = mid
    }
    return this.owners[lo === pts.length ? 0 : lo] as number
  }
}
