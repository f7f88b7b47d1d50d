/**
 * The redis-server test helper itself (support/redis-server.ts): single, replicated and cluster
 * setups answer, and kill/pause/restart by pid do what they say.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { RedisCluster, RedisProcess, startReplicated } from './support/redis-server.ts'

describe('redis-server test helper', () => {
  const started: Array<{ stop(): Promise<void> }> = []
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()))
  })

  it('starts a server, kills it by pid and restarts it on the same port', async () => {
    const s = await RedisProcess.start({ unixSocket: true })
    started.push(s)
    expect(await s.cli('SET', 'k', 'v')).toBe('OK')
    expect(await s.cli('-s', s.unixSocketPath as string, 'GET', 'k')).toBe('v')
    expect((await s.info('persistence')).get('aof_enabled')).toBe('0')
    const pid = s.pid
    await s.kill()
    expect(s.running).toBe(false)
    await expect(s.cli('PING')).rejects.toThrow()
    await s.restart()
    expect(s.pid).not.toBe(pid)
    expect(await s.cli('GET', 'k')).toBe('') // no persistence: the value is gone
  })

  it('pauses (SIGSTOP) and resumes (SIGCONT)', async () => {
    const s = await RedisProcess.start()
    started.push(s)
    await s.pause()
    await expect(s.cli('-t', '1', 'PING')).rejects.toThrow()
    await s.resume()
    expect(await s.cli('PING')).toBe('PONG')
  })

  it('starts a primary with a replica in sync', async () => {
    const r = await startReplicated(1)
    started.push(r)
    await r.primary.cli('SET', 'rk', '42')
    const replica = r.replicas[0] as RedisProcess
    expect((await replica.info('replication')).get('role')).toBe('slave')
    await expect(replica.cli('SET', 'x', '1')).resolves.toContain('READONLY')
    expect(r.urls).toEqual([r.primary.url, replica.url])
  })

  it('starts a three-node cluster that serves every slot and survives a node restart', async () => {
    const c = await RedisCluster.start(3)
    started.push(c)
    const node = c.nodes[0] as RedisProcess
    for (const k of ['a', 'b', 'c', 'd', 'e']) expect(await node.cli('-c', 'SET', k, k)).toBe('OK')
    await (c.nodes[1] as RedisProcess).kill()
    await (c.nodes[1] as RedisProcess).restart()
    await c.waitHealthy()
    expect(await node.cli('CLUSTER', 'INFO')).toContain('cluster_known_nodes:3')
  })
})
