// Child process for file-backend.test.ts: `incr` one key N times in a shared directory.
import { FileBasedCache } from '../../src/file.ts'

const [dir, key, count] = process.argv.slice(2) as [string, string, string]
const c = new FileBasedCache({ location: dir, options: { timeoutMs: 10_000 } })
let errors = 0
const messages = new Set<string>()
for (let i = 0; i < Number(count); i++) {
  try {
    await c.incr(key)
  } catch (e) {
    errors++
    messages.add(String((e as Error).message))
  }
}
process.stdout.write(JSON.stringify({ errors, messages: [...messages] }))
