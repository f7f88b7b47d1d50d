/**
 * Test helpers that talk to memcached directly: a text-protocol command on a fresh socket, and
 * a proxy that forwards to a server while counting the binary-protocol frames a client sends
 * (to show that a batch is one round trip).
 */
import { connect, createServer, type Server, type Socket } from 'node:net'

/** Send text-protocol bytes and resolve with the reply once `until` matches it. */
export function rawCommand(
  port: number,
  data: string | Buffer,
  until = /(END|STORED|DELETED|NOT_FOUND|ERROR[^\n]*)\r\n$/,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port })
    let got = ''
    const timer = setTimeout(() => {
      s.destroy()
      reject(new Error(`no reply to ${String(data).slice(0, 40)}: ${got}`))
    }, 5000)
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1')
      if (until.test(got)) {
        clearTimeout(timer)
        s.destroy()
        resolve(got)
      }
    })
    s.on('error', reject)
    s.write(data)
  })
}

/** The client flags a key is stored with (`mg <key> f`), or undefined when missing. */
export async function storedFlags(port: number, key: string): Promise<number | undefined> {
  const reply = await rawCommand(port, `mg ${key} f\r\n`, /\r\n$/)
  const m = /^HD f(\d+)/.exec(reply)
  return m ? Number(m[1]) : undefined
}

/**
 * A TCP proxy in front of a memcached server that counts what clients send: binary request
 * frames per opcode, and text-protocol command lines (such as a multi-key `get`).
 */
export class CountingProxy {
  /** Request frames seen, by opcode. */
  readonly opcodes = new Map<number, number>()
  /** Text-protocol command lines seen (the first word of each). */
  readonly textCommands: string[] = []
  private readonly sockets = new Set<Socket>()
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listen on a free loopback port and forward every connection to `targetPort`. */
  static start(targetPort: number): Promise<CountingProxy> {
    return new Promise((resolve) => {
      let proxy: CountingProxy | undefined
      const server = createServer((client) => {
        const upstream = connect({ host: '127.0.0.1', port: targetPort })
        proxy?.sockets.add(client)
        proxy?.sockets.add(upstream)
        let pending = Buffer.alloc(0)
        client.on('data', (c: Buffer) => {
          pending = Buffer.concat([pending, c])
          if (pending[0] !== 0x80) {
            // Text protocol: count whole lines (a `get` has no data block).
            let eol = pending.indexOf(0x0a)
            while (eol >= 0) {
              proxy?.textCommands.push(pending.toString('latin1', 0, pending.indexOf(0x20)))
              pending = pending.subarray(eol + 1)
              eol = pending.indexOf(0x0a)
            }
          }
          while (pending.length >= 24 && pending[0] === 0x80) {
            const len = 24 + pending.readUInt32BE(8)
            if (pending.length < len) break
            const op = pending[1] as number
            proxy?.opcodes.set(op, (proxy.opcodes.get(op) ?? 0) + 1)
            pending = pending.subarray(len)
          }
          upstream.write(c)
        })
        upstream.on('data', (c: Buffer) => client.write(c))
        client.on('close', () => upstream.destroy())
        upstream.on('close', () => client.destroy())
        client.on('error', () => upstream.destroy())
        upstream.on('error', () => client.destroy())
      })
      server.listen(0, '127.0.0.1', () => {
        const addr = server.address()
        proxy = new CountingProxy(server, typeof addr === 'object' && addr ? addr.port : 0)
        resolve(proxy)
      })
    })
  }

  /** Requests that expect an answer: text commands and binary frames other than the quiet GETQ 0x09, SETQ 0x11, DELETEQ 0x14. */
  roundTrips(): number {
    let n = this.textCommands.length
    for (const [op, count] of this.opcodes) if (op !== 0x09 && op !== 0x11 && op !== 0x14) n += count
    return n
  }

  /** How many frames of one opcode were sent. */
  count(op: number): number {
    return this.opcodes.get(op) ?? 0
  }

  /** Forget the counts. */
  reset(): void {
    this.opcodes.clear()
    this.textCommands.length = 0
  }

  /** Stop listening and drop the connections. */
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    return new Promise((r) => this.server.close(() => r()))
  }
}
