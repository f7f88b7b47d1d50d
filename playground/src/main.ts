/**
 * The playground's page script: shows who is reading, and fills the footer with how this page
 * was cached (from the navigation's `Server-Timing` entries, which carry the cache headers).
 */
import { showCacheInfo } from './footer.ts'

function whoami(): string {
  const m = /(?:^|;\s*)user=([^;]+)/.exec(document.cookie)
  return m ? decodeURIComponent(m[1] ?? '') : 'anonymous'
}

const who = document.getElementById('whoami')
if (who) who.textContent = whoami()
showCacheInfo()
