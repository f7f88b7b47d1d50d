// Child process for file-backend.test.ts: `incr` one key N times in a shared directory.
import { FileBasedCache } from '../../src/file.ts'
import { incrRepeatedly } from './incr-loop.ts'

const [dir, key, count] = process.argv.slice(2) as [string, string, string]
const c = new FileBasedCache({ location: dir, options: { timeoutMs: 10_000 } })
process.stdout.write(JSON.stringify(await incrRepeatedly(c, key, Number(count))))
