import type { KeyValueStorage } from './session'

/** The practice timer, kept in storage so it survives reloads and closed tabs. */
export interface TimerState {
  /** Epoch ms when the current run started; null while paused or idle. */
  runningSince: number | null
  /** Time of finished runs, ms. */
  accumulatedMs: number
}

const KEY = 'mirubato.timer'
export const IDLE: TimerState = { runningSince: null, accumulatedMs: 0 }

export function readTimer(storage: KeyValueStorage): TimerState {
  try {
    const parsed = JSON.parse(storage.getItem(KEY) ?? 'null') as TimerState | null
    if (parsed && typeof parsed.accumulatedMs === 'number') return parsed
  } catch {
    // A damaged value is a fresh timer.
  }
  return IDLE
}

export function writeTimer(storage: KeyValueStorage, state: TimerState): void {
  if (state.runningSince === null && state.accumulatedMs === 0) storage.removeItem(KEY)
  else storage.setItem(KEY, JSON.stringify(state))
}

export function elapsedMs(state: TimerState, now: number): number {
  return state.accumulatedMs + (state.runningSince === null ? 0 : Math.max(0, now - state.runningSince))
}

export function startTimer(state: TimerState, now: number): TimerState {
  return state.runningSince === null ? { ...state, runningSince: now } : state
}

export function pauseTimer(state: TimerState, now: number): TimerState {
  return { runningSince: null, accumulatedMs: elapsedMs(state, now) }
}

/** Whole minutes for the entry, at least one once the timer ran at all. */
export function timerMinutes(state: TimerState, now: number): number {
  const ms = elapsedMs(state, now)
  return ms === 0 ? 0 : Math.max(1, Math.round(ms / 60_000))
}

/** `mm:ss` or `h:mm:ss`. */
export function formatClock(ms: number): string {
  const total = Math.floor(ms / 1000)
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  const pad = (n: number) => String(n).padStart(2, '0')
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`
}
