// Child process for db-backend.test.ts: `incr` one key N times in a shared SQLite file and
// report how many calls failed (as JSON on stdout).
import { DatabaseCache } from '../../src/db.ts'
import { incrRepeatedly } from './incr-loop.ts'

const [database, table, key, count] = process.argv.slice(2) as [string, string, string, string]
const c = new DatabaseCache({ location: table, options: { database } })
const report = await incrRepeatedly(c, key, Number(count))
await c.close()
process.stdout.write(JSON.stringify(report))
