// Child process for file-backend.test.ts: for each round, spin until that round's start time,
// then `add` every key of the round, and print the keys this process won (one JSON line).
import { FileBasedCache } from '../../src/file.ts'

const [dir, id, count, rounds, startAt] = process.argv.slice(2) as [string, string, string, string, string]
const c = new FileBasedCache({ location: dir, options: { timeoutMs: 10_000, maxEntries: 100_000 } })
const won: string[] = []
for (let r = 0; r < Number(rounds); r++) {
  const at = Number(startAt) + r * 300
  // A spin, not a timer: the processes start a round within microseconds of each other.
  while (Date.now() < at) {}
  for (let i = 0; i < Number(count); i++) {
    const k = `r${r}k${i}`
    if (await c.add(k, id, null)) won.push(k)
  }
}
process.stdout.write(JSON.stringify(won))
