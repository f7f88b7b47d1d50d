// Child process for file-backend.test.ts: write values to a few keys in a loop until killed.
// Values are large enough that a write takes a while, so a SIGKILL lands mid-write.
import { FileBasedCache } from '../../src/file.ts'

const [dir, mode] = process.argv.slice(2) as [string, string]
const c = new FileBasedCache({ location: dir, options: { maxEntries: 1000 } })
const big = 'x'.repeat(200_000)
process.stdout.write('ready\n')
for (let i = 0; ; i++) {
  const k = `key${i % 8}`
  if (mode === 'incr') {
    await c.add('counter', 0, null)
    await c.incr('counter')
  } else await c.set(k, { i, big, list: [i, i + 1] }, i % 3 === 0 ? null : 60)
}
