/**
 * The playground's page script: shows who is reading, fills the footer with how this page was
 * cached, registers the service-worker response cache, wires the "Save for later" buttons and
 * draws the Saved page from IndexedDB.
 */
import { showCacheInfo } from './footer.ts'
import { startOfflineCache } from './offline.ts'
import { headlines, saveArticle, savedArticles, unsaveArticle } from './reader.ts'

function whoami(): string {
  const m = /(?:^|;\s*)user=([^;]+)/.exec(document.cookie)
  return m ? decodeURIComponent(m[1] ?? '') : 'anonymous'
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  attrs: Record<string, string> = {},
) {
  const node = document.createElement(tag)
  if (text !== undefined) node.textContent = text
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v)
  return node
}

async function drawSaved(list: HTMLElement): Promise<void> {
  const items = await savedArticles()
  if (items.length === 0) {
    list.replaceChildren(el('li', 'Nothing saved yet: open an article and press "Save for later".'))
    return
  }
  list.replaceChildren(
    ...items.map((a) => {
      const li = el('li', undefined, { 'data-slug': a.slug })
      const remove = el('button', 'remove', { type: 'button' })
      remove.addEventListener('click', () => void unsaveArticle(a.slug).then(() => drawSaved(list)))
      li.append(el('strong', a.title), ` (revision ${a.revision}, saved ${a.savedAt}) `, remove)
      for (const p of a.body) li.append(el('p', p))
      return li
    }),
  )
}

async function drawHeadlines(box: HTMLElement): Promise<void> {
  const { items, fromCache } = await headlines()
  box.replaceChildren(
    el('h2', `Headlines (${fromCache ? 'from the IndexedDB cache' : 'fetched from /api/articles'})`),
    el('ul', undefined),
  )
  box.querySelector('ul')?.append(
    ...items.map((h) => {
      const li = el('li')
      li.append(el('a', h.title, { href: `/articles/${h.slug}` }))
      return li
    }),
  )
  box.dataset.fromCache = String(fromCache)
}

const who = document.getElementById('whoami')
if (who) who.textContent = whoami()
showCacheInfo()
void startOfflineCache()

for (const button of document.querySelectorAll<HTMLButtonElement>('button.save')) {
  button.addEventListener('click', async () => {
    const slug = button.dataset.slug ?? ''
    button.disabled = true
    try {
      await saveArticle(slug)
      button.textContent = 'Saved ✓'
    } catch (e) {
      button.textContent = `Not saved: ${(e as Error).message}`
      button.disabled = false
    }
  })
}

// Tests (and curious readers) can tell when the page script has wired everything up.
document.documentElement.dataset.scriptReady = 'true'

const savedList = document.getElementById('saved-list')
if (savedList) void drawSaved(savedList)
const headlinesBox = document.getElementById('client-headlines')
if (headlinesBox) void drawHeadlines(headlinesBox)
