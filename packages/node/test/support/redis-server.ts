/**
 * Real `redis-server` processes for the tests (CONVENTIONS "real parts, not mocks"): a single
 * server, a primary with replicas (`--replicaof`) and a Redis Cluster (`--cluster-enabled yes`,
 * then `redis-cli --cluster create … --cluster-yes`), each on free loopback ports with no
 * persistence (`--save '' --appendonly no --bind 127.0.0.1`). Processes are killed, paused
 * (SIGSTOP), resumed (SIGCONT) and restarted by pid; every one still running when the test
 * process exits is killed. A missing binary fails the test with the command that installs it.
 *
 * ```ts
 * const server = await RedisProcess.start()            // server.url = 'redis://127.0.0.1:<port>'
 * const { primary, replicas } = await startReplicated(1)
 * const cluster = await RedisCluster.start(3)          // cluster.urls, cluster.nodes[i].restart()
 * const secure = await RedisProcess.start({ tls: true }) // secure.tlsUrl = 'rediss://127.0.0.1:<tlsPort>', secure.tls.caPem
 * await server.stop()
 * ```
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './free-port.ts'

const INSTALL = 'install it with: apt-get install -y redis-server (or run `npm test`, which installs it)'

function findBinary(name: string): string {
  const found = [`/usr/bin/${name}`, `/usr/local/bin/${name}`, `/usr/sbin/${name}`].find((p) => existsSync(p))
  if (!found) throw new Error(`${name} is not installed: ${INSTALL}`)
  return found
}

/** The `redis-server` binary, or an error saying how to install it. */
export function redisServerBinary(): string {
  return findBinary('redis-server')
}

/** The `redis-cli` binary (Debian's redis-tools, a dependency of redis-server), or an error. */
export function redisCliBinary(): string {
  return findBinary('redis-cli')
}

/** A throwaway certificate authority and a server certificate it signed, as files in a directory. */
export interface TlsMaterial {
  /** The CA certificate, PEM (what a client passes as `tls.ca`). */
  caPem: string
  caFile: string
  /** The server's certificate (CN and subjectAltName IP:127.0.0.1) and key. */
  certFile: string
  keyFile: string
}

/**
 * Generate a CA and a server certificate for 127.0.0.1 signed by it, with `openssl`, in `dir`
 * (valid one day, EC P-256 keys: RSA ones take a second each on a loaded machine). Call it twice for two unrelated CAs. A missing `openssl` throws
 * the install line.
 */
export function makeTlsMaterial(dir: string): TlsMaterial {
  const openssl = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((p) => existsSync(p))
  if (!openssl) throw new Error('openssl is not installed: install it with: apt-get install -y openssl')
  const f = (name: string) => join(dir, name)
  const run = (...args: string[]) =>
    execFileSync(openssl, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 })
  run(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    '-days',
    '1',
    '-subj',
    '/CN=cachework test CA',
  )
  run(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
    '-subj',
    '/CN=127.0.0.1',
  )
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n')
  run(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('server.crt'),
    '-days',
    '1',
    '-extfile',
    f('ext.cnf'),
  )
  return {
    caPem: readFileSync(f('ca.crt'), 'utf8'),
    caFile: f('ca.crt'),
    certFile: f('server.crt'),
    keyFile: f('server.key'),
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Send one inline command to 127.0.0.1:`port` and resolve with the raw reply (or reject). */
function rawCommand(port: number, line: string, timeoutMs = 500): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port })
    let data = ''
    const timer = setTimeout(() => {
      s.destroy()
      reject(new Error('no reply'))
    }, timeoutMs)
    s.once('connect', () => s.write(`${line}\r\n`))
    s.on('data', (c: Buffer) => {
      data += c.toString()
      if (data.endsWith('\r\n')) {
        clearTimeout(timer)
        s.destroy()
        resolve(data)
      }
    })
    s.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
  })
}

/** Whether `port` can be bound on 127.0.0.1 right now (the cluster bus port must be free too). */
async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}

const running = new Set<ChildProcess>()
const dirs = new Set<string>()
process.once('exit', () => {
  for (const p of running) {
    if (p.pid === undefined || p.exitCode !== null) continue
    try {
      process.kill(p.pid, 'SIGCONT')
      process.kill(p.pid, 'SIGKILL')
    } catch {}
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** Options of `RedisProcess.start`. */
export interface RedisStartOptions {
  /** The TCP port; a free one by default. */
  port?: number
  /** Start as a replica of this server (`--replicaof 127.0.0.1 <port>`). */
  replicaOf?: RedisProcess
  /** Also listen on a unix socket in the server's own directory (`unixSocketPath`). */
  unixSocket?: boolean
  /** Make this a cluster node (`--cluster-enabled yes`, config file in its own directory). */
  cluster?: boolean
  /**
   * Also listen with TLS on a second free port (`--tls-port`, a fresh CA and server certificate
   * in the server's directory, clients not asked for certificates); the plain port stays for the
   * helper's own PING and `cli`.
   */
  tls?: boolean
  /** More `redis-server` arguments, e.g. `['--maxmemory', '2mb']`. */
  args?: string[]
}

/** One `redis-server` process the test started, with its own temporary directory. */
export class RedisProcess {
  private child: ChildProcess | undefined
  private output = ''
  /** The unix socket path when started with `unixSocket: true`. */
  readonly unixSocketPath: string | undefined
  /** The TLS port and certificates when started with `tls: true`. */
  tlsPort: number | undefined
  tls: TlsMaterial | undefined

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: string[],
    unixSocketPath: string | undefined,
  ) {
    this.unixSocketPath = unixSocketPath
  }

  /** Start `redis-server` and wait until it answers `PING`. */
  static async start(opts: RedisStartOptions = {}): Promise<RedisProcess> {
    redisServerBinary()
    const port = opts.port ?? (await freePort())
    const dir = mkdtempSync(join(tmpdir(), `cachework-redis-${port}-`))
    dirs.add(dir)
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--dir',
      dir,
      '--logfile',
      '',
      // A replica's first sync starts at once (the default waits 5 s for more replicas).
      '--repl-diskless-sync-delay',
      '0',
    ]
    let sock: string | undefined
    if (opts.unixSocket) {
      sock = join(dir, 'redis.sock')
      args.push('--unixsocket', sock, '--unixsocketperm', '700')
    }
    if (opts.replicaOf) args.push('--replicaof', '127.0.0.1', String(opts.replicaOf.port))
    if (opts.cluster) {
      let bus = await freePort()
      while (bus === port || !(await portIsFree(bus))) bus = await freePort()
      args.push(
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-port',
        String(bus),
        '--cluster-node-timeout',
        '3000',
      )
    }
    let tls: TlsMaterial | undefined
    let tlsPort: number | undefined
    if (opts.tls) {
      tls = makeTlsMaterial(dir)
      tlsPort = await freePort()
      while (tlsPort === port) tlsPort = await freePort()
      args.push(
        '--tls-port',
        String(tlsPort),
        '--tls-cert-file',
        tls.certFile,
        '--tls-key-file',
        tls.keyFile,
        '--tls-ca-cert-file',
        tls.caFile,
        '--tls-auth-clients',
        'no',
      )
    }
    if (opts.args) args.push(...opts.args)
    const p = new RedisProcess(port, dir, args, sock)
    p.tls = tls
    p.tlsPort = tlsPort
    try {
      await p.restart()
    } catch (e) {
      // Debian's redis-server is built with TLS; a build without it refuses --tls-port.
      if (opts.tls && /tls|TLS/.test((e as Error).message))
        throw new Error(
          `this redis-server cannot serve TLS (${(e as Error).message.slice(0, 300)}): install Debian's build with: apt-get install -y redis-server`,
        )
      throw e
    }
    return p
  }

  /** `redis://127.0.0.1:<port>`, a location for the cache config. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  /** `rediss://127.0.0.1:<tlsPort>` when started with `tls: true`. */
  get tlsUrl(): string {
    if (this.tlsPort === undefined) throw new Error('this redis-server was started without tls: true')
    return `rediss://127.0.0.1:${this.tlsPort}`
  }

  /** `127.0.0.1:<port>`. */
  get address(): string {
    return `127.0.0.1:${this.port}`
  }

  /** The pid of the running process, if any. */
  get pid(): number | undefined {
    return this.child?.pid
  }

  /** Whether the process is running (possibly paused). */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null
  }

  /** (Re)start the process on the same port, directory and arguments; wait until it answers PING. */
  async restart(): Promise<void> {
    if (this.running) throw new Error(`redis-server on ${this.port} is already running`)
    this.output = ''
    const child = spawn(redisServerBinary(), this.args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const keep = (c: Buffer) => {
      this.output = (this.output + c.toString()).slice(-4000)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    this.child = child
    running.add(child)
    child.once('exit', () => running.delete(child))
    for (let i = 0; i < 500; i++) {
      if (child.exitCode !== null)
        throw new Error(`redis-server exited with ${child.exitCode}: ${this.output}`)
      try {
        if ((await rawCommand(this.port, 'PING')).startsWith('+PONG')) return
      } catch {}
      await sleep(10)
    }
    throw new Error(`redis-server did not answer on ${this.port} within 5 s: ${this.output}`)
  }

  /** Send a signal by pid (SIGKILL by default) and, unless it is SIGSTOP/SIGCONT, wait for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child
    if (!child || child.exitCode !== null || child.pid === undefined) return
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
      process.kill(child.pid, signal)
      return
    }
    this.child = undefined
    const exited = new Promise((r) => child.once('exit', r))
    process.kill(child.pid, 'SIGCONT') // a paused process must run to die of SIGTERM
    process.kill(child.pid, signal)
    await exited
  }

  /** SIGSTOP: the process keeps its sockets open but answers nothing. */
  pause(): Promise<void> {
    return this.kill('SIGSTOP')
  }

  /** SIGCONT after `pause()`. */
  resume(): Promise<void> {
    return this.kill('SIGCONT')
  }

  /** Stop (SIGTERM) and wait for the exit; `removeDir` also deletes its directory (default true). */
  async stop(removeDir = true): Promise<void> {
    await this.kill('SIGTERM')
    if (removeDir) {
      rmSync(this.dir, { recursive: true, force: true })
      dirs.delete(this.dir)
    }
  }

  /** Run `redis-cli -p <port> ...args` and resolve with its stdout (trimmed). */
  cli(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        redisCliBinary(),
        ['-h', '127.0.0.1', '-p', String(this.port), ...args],
        { timeout: 10_000 },
        (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(stdout.trim()),
      )
    })
  }

  /** `INFO <section>` as a map of its `name:value` lines. */
  async info(section: string): Promise<Map<string, string>> {
    const out = new Map<string, string>()
    for (const line of (await this.cli('INFO', section)).split(/\r?\n/)) {
      const i = line.indexOf(':')
      if (i > 0) out.set(line.slice(0, i), line.slice(i + 1).trim())
    }
    return out
  }

  /** The last lines the server logged (for failure messages). */
  get log(): string {
    return this.output
  }
}

/** Poll `check` every 50 ms until it is true, at most `ms` (default 10 s); throws `what` on timeout. */
export async function waitFor(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    try {
      if (await check()) return
    } catch {}
    await sleep(50)
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`)
}

/** Wait until `replica` reports its link to the primary up (`master_link_status:up`). */
export function waitForReplicaLink(replica: RedisProcess): Promise<void> {
  return waitFor(
    async () => (await replica.info('replication')).get('master_link_status') === 'up',
    `the replica on ${replica.port} to sync`,
  )
}

/** A primary with `n` replicas (default 1), linked and in sync. */
export interface Replicated {
  primary: RedisProcess
  replicas: RedisProcess[]
  /** `[primary.url, ...replicas' urls]`: the location Django's RedisCache takes. */
  urls: string[]
  stop(): Promise<void>
}

/** Start a primary and `n` replicas (`--replicaof`) and wait until every replica is in sync. */
export async function startReplicated(n = 1): Promise<Replicated> {
  const primary = await RedisProcess.start()
  const replicas = await Promise.all(
    Array.from({ length: n }, () => RedisProcess.start({ replicaOf: primary })),
  )
  await Promise.all(replicas.map(waitForReplicaLink))
  return {
    primary,
    replicas,
    urls: [primary.url, ...replicas.map((r) => r.url)],
    stop: async () => {
      await Promise.all([primary, ...replicas].map((p) => p.stop()))
    },
  }
}

/** A Redis Cluster of `n` masters (no replicas) on loopback, every slot assigned. */
export class RedisCluster {
  private constructor(readonly nodes: RedisProcess[]) {}

  /** Start `n` (≥ 3) cluster nodes, `redis-cli --cluster create … --cluster-yes`, wait for `cluster_state:ok`. */
  static async start(n = 3): Promise<RedisCluster> {
    if (n < 3) throw new Error('Redis Cluster needs at least 3 masters')
    const nodes = await Promise.all(Array.from({ length: n }, () => RedisProcess.start({ cluster: true })))
    const c = new RedisCluster(nodes)
    await nodes[0]?.cli(
      '--cluster',
      'create',
      ...nodes.map((p) => p.address),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    )
    await c.waitHealthy()
    return c
  }

  /** The nodes' `redis://` URLs (any one is enough to discover the cluster). */
  get urls(): string[] {
    return this.nodes.map((p) => p.url)
  }

  /** Wait until every running node says `cluster_state:ok` and knows all slots. */
  async waitHealthy(ms = 20_000): Promise<void> {
    await waitFor(
      async () => {
        for (const node of this.nodes) {
          if (!node.running) continue
          const info = await node.cli('CLUSTER', 'INFO')
          if (!info.includes('cluster_state:ok') || !info.includes('cluster_slots_ok:16384')) return false
        }
        return true
      },
      'the cluster to be healthy',
      ms,
    )
  }

  /** Stop every node and remove their directories. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((p) => p.stop()))
  }
}
