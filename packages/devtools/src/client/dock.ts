/**
 * The dock: the panel docked at the bottom or the right of the window, resized by dragging its
 * edge (or with the arrow keys on the edge), side and size remembered in localStorage.
 */
import { readStorage, writeStorage } from './rows.ts'

/** Where the panel sits and how big it is (px: height at the bottom, width at the right). */
export interface DockState {
  side: 'bottom' | 'right'
  size: number
}

/** localStorage key of the dock state. */
export const DOCK_KEY = 'cachework-devtools:dock'
const MIN = 140

/** The remembered dock, or the default: bottom, half the window height (60 % on phones), at most 560 px. */
export function loadDock(): DockState {
  try {
    const v = JSON.parse(readStorage(DOCK_KEY) ?? 'null') as Partial<DockState> | null
    if (
      v &&
      (v.side === 'bottom' || v.side === 'right') &&
      typeof v.size === 'number' &&
      Number.isFinite(v.size)
    ) {
      return { side: v.side, size: v.size }
    }
  } catch {
    // A corrupt value: the default.
  }
  const share = window.innerWidth < 700 ? 0.6 : 0.5
  return { side: 'bottom', size: Math.round(Math.min(560, Math.max(MIN, window.innerHeight * share))) }
}

/** The size clamped to the window (the panel always leaves 40 px of the page and keeps 140 px). */
export function clampSize(state: DockState): number {
  const room = state.side === 'bottom' ? window.innerHeight : window.innerWidth
  return Math.round(Math.max(Math.min(MIN, room), Math.min(state.size, room - 40)))
}

/** Apply a dock state to the panel element (its size style and `data-side`). */
export function applyDock(panel: HTMLElement, handle: HTMLElement, state: DockState): void {
  const size = clampSize(state)
  panel.dataset.side = state.side
  panel.style.height = state.side === 'bottom' ? `${size}px` : ''
  panel.style.width = state.side === 'right' ? `${size}px` : ''
  handle.setAttribute('aria-orientation', state.side === 'bottom' ? 'horizontal' : 'vertical')
  handle.setAttribute('aria-valuenow', String(size))
  handle.setAttribute('aria-valuemin', String(MIN))
  handle.setAttribute(
    'aria-valuemax',
    String(state.side === 'bottom' ? window.innerHeight - 40 : window.innerWidth - 40),
  )
}

/**
 * Wire the drag handle: pointer drags and arrow keys change the size, `onChange` persists it.
 * Returns the function that removes the window listener.
 */
export function wireDock(
  panel: HTMLElement,
  handle: HTMLElement,
  get: () => DockState,
  set: (s: DockState) => void,
): () => void {
  let dragging = false
  const sizeAt = (e: PointerEvent): number =>
    get().side === 'bottom' ? window.innerHeight - e.clientY : window.innerWidth - e.clientX
  handle.addEventListener('pointerdown', (e) => {
    dragging = true
    handle.setPointerCapture(e.pointerId)
    handle.classList.add('drag')
    e.preventDefault()
  })
  handle.addEventListener('pointermove', (e) => {
    if (!dragging) return
    const s = { ...get(), size: sizeAt(e) }
    s.size = clampSize(s)
    applyDock(panel, handle, s)
    set(s)
  })
  const end = (e: PointerEvent): void => {
    if (!dragging) return
    dragging = false
    handle.classList.remove('drag')
    if (handle.hasPointerCapture(e.pointerId)) handle.releasePointerCapture(e.pointerId)
    writeStorage(DOCK_KEY, JSON.stringify(get()))
  }
  handle.addEventListener('pointerup', end)
  handle.addEventListener('pointercancel', end)
  handle.addEventListener('keydown', (e) => {
    const grow = get().side === 'bottom' ? 'ArrowUp' : 'ArrowLeft'
    const shrink = get().side === 'bottom' ? 'ArrowDown' : 'ArrowRight'
    if (e.key !== grow && e.key !== shrink) return
    e.preventDefault()
    const step = e.shiftKey ? 80 : 20
    const s = { ...get(), size: get().size + (e.key === grow ? step : -step) }
    s.size = clampSize(s)
    applyDock(panel, handle, s)
    set(s)
    writeStorage(DOCK_KEY, JSON.stringify(s))
  })
  const onResize = (): void => applyDock(panel, handle, get())
  window.addEventListener('resize', onResize)
  return () => window.removeEventListener('resize', onResize)
}

/** The dock-side button: it offers the other side. */
export function renderSideButton(button: HTMLElement, side: DockState['side']): void {
  const right = side === 'right'
  button.textContent = right ? '⤓ bottom' : '⇥ right'
  button.setAttribute('aria-label', right ? 'dock to the bottom' : 'dock to the right')
}
