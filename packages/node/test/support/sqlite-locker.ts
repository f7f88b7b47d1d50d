// Child process for db-backend.test.ts: take the write lock on a SQLite file (BEGIN IMMEDIATE),
// say "locked", and hold it until stdin closes or says "release" (then COMMIT and exit).
import Database from 'better-sqlite3'

const [file] = process.argv.slice(2) as [string]
const db = new Database(file)
db.pragma('journal_mode = WAL')
db.exec('BEGIN IMMEDIATE')
process.stdout.write('locked\n')
const release = () => {
  db.exec('COMMIT')
  db.close()
  process.exit(0)
}
process.stdin.on('data', (d) => {
  if (String(d).includes('release')) release()
})
process.stdin.on('end', release)
