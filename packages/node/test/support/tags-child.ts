// A second process for the tag tests (docs/contract.md rule 17): it opens its own cache on the
// memcached server the test names, runs a list of commands and prints their results as JSON.
//   tags-child.ts <init-json> <commands-json>
// where a command is ['set', key, value, tags] | ['invalidate', tags] | ['get', key].
import type { CacheInit } from '@cachework/core'
import { MemcachedCache } from '../../src/memcached.ts'

type Command = ['set', string, unknown, string[]] | ['invalidate', string[]] | ['get', string]

const [initJson, commandsJson] = process.argv.slice(2)
const c = new MemcachedCache(JSON.parse(initJson as string) as CacheInit)
const out: unknown[] = []
for (const cmd of JSON.parse(commandsJson as string) as Command[]) {
  if (cmd[0] === 'set') out.push(await c.set(cmd[1], cmd[2], undefined, { tags: cmd[3] }))
  else if (cmd[0] === 'invalidate') out.push(await c.invalidateTags(cmd[1]).then(() => true))
  else out.push({ value: await c.get(cmd[1], '<miss>'), has: await c.has(cmd[1]) })
}
await c.close()
process.stdout.write(JSON.stringify(out))
