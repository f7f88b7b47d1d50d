/**
 * A TCP proxy in front of a real memcached that answers the meta commands `mg`/`md` with
 * `ERROR` (as memcached before 1.5.19 does, not knowing them) and passes everything else,
 * binary frames and other text commands, through unchanged. The installed memcached cannot
 * switch meta commands off, so this is how the fallback path meets a real server. With
 * `{ hashDump: false }` it also answers `lru_crawler metadump hash` with `BADCLASS`, as a
 * memcached that walks only its LRUs does.
 */
import { connect, createServer, type Server, type Socket } from 'node:net'

export class MetaRefusingProxy {
  /** How many meta commands were refused. */
  refused = 0
  /** How many `lru_crawler metadump hash` requests were refused. */
  refusedHashDumps = 0
  private readonly sockets = new Set<Socket>()
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listen on a free loopback port in front of memcached at `targetPort`. */
  static start(targetPort: number, opts: { hashDump?: boolean } = {}): Promise<MetaRefusingProxy> {
    return new Promise((resolve) => {
      let proxy: MetaRefusingProxy | undefined
      const server = createServer((client) => {
        proxy?.sockets.add(client)
        let upstream: Socket | undefined
        client.once('data', (first: Buffer) => {
          const head = first.toString('latin1', 0, 3)
          if (head === 'mg ' || head === 'md ') {
            if (proxy) proxy.refused++
            client.end('ERROR\r\n')
            return
          }
          if (opts.hashDump === false && first.toString('latin1').startsWith('lru_crawler metadump hash')) {
            if (proxy) proxy.refusedHashDumps++
            client.end('BADCLASS invalid class id\r\n')
            return
          }
          upstream = connect({ host: '127.0.0.1', port: targetPort })
          proxy?.sockets.add(upstream)
          upstream.write(first)
          client.on('data', (c: Buffer) => upstream?.write(c))
          upstream.on('data', (c: Buffer) => client.write(c))
          upstream.on('close', () => client.destroy())
          upstream.on('error', () => client.destroy())
        })
        client.on('close', () => upstream?.destroy())
        client.on('error', () => upstream?.destroy())
      })
      server.listen(0, '127.0.0.1', () => {
        const addr = server.address()
        proxy = new MetaRefusingProxy(server, typeof addr === 'object' && addr ? addr.port : 0)
        resolve(proxy)
      })
    })
  }

  /** Stop listening and drop every connection. */
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    return new Promise((r) => this.server.close(() => r()))
  }
}
