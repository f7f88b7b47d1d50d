// Child process for db-backend.test.ts: `incr` one key N times in a shared SQLite file and
// report how many calls failed (as JSON on stdout).
import { DatabaseCache } from '../../src/db.ts'

const [database, table, key, count] = process.argv.slice(2) as [string, string, string, string]
const c = new DatabaseCache({ location: table, options: { database } })
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
await c.close()
process.stdout.write(JSON.stringify({ errors, messages: [...messages] }))
