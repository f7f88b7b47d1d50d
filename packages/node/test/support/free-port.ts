// A free loopback port for the servers tests start (memcached, the playground, examples).
import { createServer } from 'node:net'

/** A free TCP port on 127.0.0.1: one the OS just handed out for a listener that is closed again. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}
