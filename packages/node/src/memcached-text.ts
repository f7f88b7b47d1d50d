/**
 * The text-protocol side of the memcached backend: multi-key `get k1 k2 …` on a pipelined
 * socket (one command per server, which memcached answers several times faster than the same
 * keys as binary `GETQ` frames), and one-shot commands the binary protocol lacks: the meta get
 * `mg <key> t f v` (remaining TTL) and `lru_crawler metadump hash` (listing keys; memcached's doc/protocol.txt).
 * https://github.com/memcached/memcached/blob/master/doc/protocol.txt
 */
import { connect, type Socket } from 'node:net'
import { CacheUnavailableError } from '@cachework/core'
import type { ServerAddress } from './memcached-location.ts'
import { Pipeline } from './memcached-pipeline.ts'

/**
 * One `VALUE` of a text-protocol `get`: the key, its flags, and where its bytes are in `buf`
 * (offsets rather than a sub-buffer: decoding straight from them avoids an object per value).
 */
export interface TextItem {
  key: string
  flags: number
  buf: Buffer
  start: number
  end: number
}

const LF = 0x0a
const CR = 0x0d

/**
 * The largest value a server may announce: memcached's item size limit tops out at 1 GiB
 * (`-I 1024m`, doc/protocol.txt). A larger or malformed length is a protocol error, never a
 * buffer the client waits to fill (or a negative length that loops forever).
 */
export const MAX_ITEM_BYTES = 1024 * 1024 * 1024

/** A decimal number of at most 10 digits from `buf[from, to)`, or -1 when it is not one. */
function digits(buf: Buffer, from: number, to: number): number {
  if (to <= from || to - from > 10) return -1
  let n = 0
  for (let i = from; i < to; i++) {
    const d = (buf[i] as number) - 48
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

/** A length field read from a server: a whole number of bytes within `MAX_ITEM_BYTES`, else -1. */
export function checkedLength(text: string | undefined): number {
  if (text === undefined || !/^[0-9]{1,10}$/.test(text)) return -1
  const n = Number(text)
  return n <= MAX_ITEM_BYTES ? n : -1
}

/**
 * One pipelined text-protocol connection, used for multi-key `get k1 k2 …`: one command per
 * server, which memcached answers far faster than the same keys as binary GETQ frames.
 */
export class TextConnection extends Pipeline<TextItem, void> {
  /** `get` many keys in one command; resolves with the found items, in request order. */
  getMany(keys: readonly string[]): Promise<TextItem[]> {
    const items: TextItem[] = []
    return this.enqueue(Buffer.from(`get ${keys.join(' ')}\r\n`, 'utf8'), 0, (i) => {
      items.push(i)
    }).then(() => items)
  }

  protected parse(buf: Buffer, s: Socket): number {
    let off = 0
    for (;;) {
      const eol = buf.indexOf(LF, off)
      if (eol < 0) break
      // "VALUE <key> <flags> <bytes>\r\n<data>\r\n" … "END\r\n"
      if (buf[off] === 0x56 /* V */ && buf[off + 1] === 0x41) {
        // Parse the two numbers from the bytes; only the key is turned into a string. Every
        // field is checked (doc/protocol.txt: "VALUE <key> <flags> <bytes>\r\n"): a reply that
        // does not fit is a protocol error that drops the connection, never a guess.
        const sp2 = buf.lastIndexOf(0x20, eol)
        const sp1 = sp2 > off ? buf.lastIndexOf(0x20, sp2 - 1) : -1
        const flags = sp1 > off + 5 ? digits(buf, sp1 + 1, sp2) : -1
        const size = buf[eol - 1] === CR ? digits(buf, sp2 + 1, eol - 1) : -1
        if (
          buf.toString('latin1', off, off + 6) !== 'VALUE ' ||
          flags < 0 ||
          flags > 0xffffffff ||
          size < 0 ||
          size > MAX_ITEM_BYTES
        ) {
          this.protocolError(
            `malformed VALUE line ${JSON.stringify(buf.toString('latin1', off, Math.min(eol, off + 100)))}`,
          )
          return buf.length
        }
        const start = eol + 1
        if (buf.length < start + size + 2) {
          this.need = start + size + 2 - off
          return off
        }
        if (buf[start + size] !== CR || buf[start + size + 1] !== LF) {
          this.protocolError('a VALUE whose data is not followed by \\r\\n')
          return buf.length
        }
        this.current()?.collect?.({
          key: buf.toString('utf8', off + 6, sp1),
          flags,
          buf,
          start,
          end: start + size,
        })
        off = start + size + 2
      } else if (
        eol - off === 4 &&
        buf[off] === 0x45 /* E */ &&
        buf[off + 1] === 0x4e &&
        buf[off + 2] === 0x44
      ) {
        off = eol + 1
        if (this.current()) this.settle(undefined)
        if (this.socket !== s) return buf.length
      } else {
        this.protocolError(
          `unexpected reply ${JSON.stringify(buf.toString('latin1', off, Math.min(eol, off + 100)))}`,
        )
        return buf.length
      }
    }
    this.need = buf.length - off + 1
    return off
  }
}

/**
 * Send one text-protocol command on a fresh socket and collect the reply until `done(reply)`
 * (used for `lru_crawler metadump` and meta commands, which the binary protocol lacks).
 */
export function textRequest(
  server: ServerAddress,
  command: string,
  done: (reply: Buffer) => boolean,
  timeoutMs: number,
): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const { host, port, path } = server
    const s = path ? connect({ path }) : connect({ host: host as string, port: port as number })
    const chunks: Buffer[] = []
    let finished = false
    const finish = (err?: Error) => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      s.destroy()
      if (err) reject(new CacheUnavailableError(`memcached ${server.name}: ${err.message}`, { cause: err }))
      else resolve(Buffer.concat(chunks))
    }
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    s.on('data', (c: Buffer) => {
      chunks.push(c)
      if (chunks.length > 1) chunks.splice(0, chunks.length, Buffer.concat(chunks))
      if (done(chunks[0] as Buffer)) finish()
    })
    s.on('error', (e) => finish(e))
    s.on('close', () => finish(new Error('the server closed the connection')))
    s.write(command)
  })
}

/** Whether a meta-get reply is complete. */
export function metaGetDone(reply: Buffer): boolean {
  const eol = reply.indexOf('\r\n')
  if (eol < 0) return false
  if (!reply.subarray(0, 3).equals(Buffer.from('VA '))) return true
  const size = checkedLength(reply.toString('latin1', 3, eol).split(' ')[0])
  // A malformed size is complete as it is: parseMetaGet rejects it.
  return size < 0 || reply.length >= eol + 2 + size + 2
}

/** Parse `VA <size> t<ttl> f<flags>\r\n<data>\r\n`; undefined for a miss (`EN`). */
export function parseMetaGet(reply: Buffer): { ttl: number; flags: number; data: Buffer } | undefined {
  const eol = reply.indexOf('\r\n')
  const head = reply.toString('latin1', 0, eol).split(' ')
  if (head[0] !== 'VA') {
    if (head[0] === 'EN') return undefined
    throw new CacheUnavailableError(`memcached answered mg with ${JSON.stringify(head.join(' '))}`)
  }
  const size = checkedLength(head[1])
  let ttl = -1
  let flags = 0
  for (const t of head.slice(2)) {
    if (t.startsWith('t')) ttl = Number(t.slice(1))
    else if (t.startsWith('f')) flags = Number(t.slice(1))
  }
  const bad =
    size < 0 ||
    reply.length < eol + 2 + size ||
    !Number.isSafeInteger(ttl) ||
    ttl < -1 ||
    !Number.isInteger(flags) ||
    flags < 0 ||
    flags > 0xffffffff
  if (bad)
    throw new CacheUnavailableError(
      `memcached answered mg with a malformed header ${JSON.stringify(head.join(' ').slice(0, 100))}`,
    )
  return { ttl, flags, data: Buffer.from(reply.subarray(eol + 2, eol + 2 + size)) }
}

const END = Buffer.from('END\r\n')

/**
 * List a server's keys with `lru_crawler metadump hash`, which walks the hash table, or, on a
 * server that does not know `hash` (it answers `BADCLASS`), with `lru_crawler metadump all`
 * (memcached ≥ 1.4.31), which walks the LRUs. memcached's doc/protocol.txt: walking the LRUs
 * can miss items, since "LRU reordering and locking can cause frequently accessed items to be
 * missed"; measured here, `all` missed 3–25 in 3,000 keys that had just been set and read, and
 * `hash` none, so `all` is only the fallback (rule 14: `entries()` lists every live key).
 */
export async function metadump(
  server: ServerAddress,
  timeoutMs: number,
): Promise<Array<{ rawKey: string; expiresAt: number | null }>> {
  let text = await crawl(server, 'hash', timeoutMs)
  if (text.startsWith('BADCLASS') || text.startsWith('CLIENT_ERROR'))
    text = await crawl(server, 'all', timeoutMs)
  if (!text.endsWith('END\r\n'))
    throw new CacheUnavailableError(`memcached ${server.name} cannot list keys: ${text.slice(0, 200)}`)
  const out: Array<{ rawKey: string; expiresAt: number | null }> = []
  // metadump ends its lines with a bare \n (memcached 1.6), its END line with \r\n.
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith('key=')) continue
    const fields = new Map(line.split(' ').map((f) => f.split('=', 2) as [string, string]))
    let rawKey: string
    try {
      rawKey = decodeURIComponent(fields.get('key') ?? '')
    } catch {
      continue
    }
    const exp = Number(fields.get('exp') ?? '-1')
    out.push({ rawKey, expiresAt: exp < 0 ? null : exp * 1000 })
  }
  return out
}

/** One `lru_crawler metadump <what>` reply, asking again while another crawl is running. */
async function crawl(server: ServerAddress, what: 'hash' | 'all', timeoutMs: number): Promise<string> {
  let text = ''
  // Another crawl may be running (a concurrent `entries()`, or memcached's own background LRU
  // crawl, which takes longer on a busy machine): memcached answers BUSY, so ask again until a
  // deadline, not a fixed number of times, lest a slow crawl make a live server list nothing.
  const budgetMs = Math.max(timeoutMs, 5000)
  const deadline = Date.now() + budgetMs
  for (;;) {
    const reply = await textRequest(
      server,
      `lru_crawler metadump ${what}\r\n`,
      (r) =>
        r.length >= 5 &&
        (r.subarray(r.length - 5).equals(END) ||
          r.indexOf('BUSY') === 0 ||
          r.indexOf('ERROR') === 0 ||
          ((r.indexOf('BADCLASS') === 0 || r.indexOf('CLIENT_ERROR') === 0) && r.indexOf('\r\n') > 0)),
      budgetMs,
    )
    text = reply.toString('latin1')
    if (!text.startsWith('BUSY') || Date.now() >= deadline) return text
    await new Promise((r) => setTimeout(r, 25))
  }
}
