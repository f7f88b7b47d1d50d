/**
 * The redis-server test helper itself (support/redis-server.ts): kill/pause/restart by pid do what
 * they say. Its replicated and cluster setups are exercised by redis-replica.test.ts and
 * redis-cluster.test.ts (started once there).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { RedisProcess } from './support/redis-server.ts'

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
})
