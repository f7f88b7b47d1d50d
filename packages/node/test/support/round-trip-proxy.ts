/**
 * A TCP proxy in front of a real server (memcached or redis) that counts round trips: on each
 * client connection, a turn begins when the client sends after the server last spoke (or first).
 * Requests sent one after another each count once, however many keys a multi-get names and
 * however many TCP segments carry it; bytes pass through unchanged.
 */
import { connect, createServer, type Server, type Socket } from 'node:net'

export class RoundTripProxy {
  /** Round trips counted since the last `reset()`, over every connection. */
  roundTrips = 0
  private readonly sockets = new Set<Socket>()
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listen on a free loopback port in front of 127.0.0.1:`targetPort`. */
  static start(targetPort: number): Promise<RoundTripProxy> {
    return new Promise((resolve) => {
      let proxy: RoundTripProxy | undefined
      const server = createServer((client) => {
        const upstream = connect({ host: '127.0.0.1', port: targetPort })
        proxy?.sockets.add(client)
        proxy?.sockets.add(upstream)
        let clientTurn = false
        client.on('data', (c: Buffer) => {
          if (!clientTurn && proxy) proxy.roundTrips++
          clientTurn = true
          upstream.write(c)
        })
        upstream.on('data', (c: Buffer) => {
          clientTurn = false
          client.write(c)
        })
        upstream.on('close', () => client.destroy())
        upstream.on('error', () => client.destroy())
        client.on('close', () => upstream.destroy())
        client.on('error', () => upstream.destroy())
      })
      server.listen(0, '127.0.0.1', () => {
        const addr = server.address()
        proxy = new RoundTripProxy(server, typeof addr === 'object' && addr ? addr.port : 0)
        resolve(proxy)
      })
    })
  }

  /** Start counting from zero. */
  reset(): void {
    this.roundTrips = 0
  }

  /** Stop listening and drop every connection. */
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    return new Promise((r) => this.server.close(() => r()))
  }
}
