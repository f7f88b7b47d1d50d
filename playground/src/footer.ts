/** The footer: how the current page was served (hit or miss, timing, cache headers). */

const LABELS: Record<string, string> = {
  cache: 'X-Cache',
  app: 'Server time',
  cachecontrol: 'Cache-Control',
  vary: 'Vary',
  age: 'Age',
  expires: 'Expires',
}

/** Fill `#cache-info` from the navigation's `Server-Timing` entries. */
export function showCacheInfo(): void {
  const list = document.getElementById('cache-info')
  if (!list) return
  const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined
  const rows: [string, string][] = []
  for (const t of nav?.serverTiming ?? []) {
    const label = LABELS[t.name]
    if (!label) continue
    rows.push([label, t.name === 'app' ? `${t.duration.toFixed(0)} ms` : t.description])
  }
  if (nav) rows.push(['Load (browser)', `${(nav.responseEnd - nav.requestStart).toFixed(0)} ms`])
  list.replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt')
      dt.textContent = k
      const dd = document.createElement('dd')
      dd.textContent = v
      dd.dataset.header = k
      return [dt, dd]
    }),
  )
}
