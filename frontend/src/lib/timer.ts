import type { KeyValueStorage } from './session'

/** The practice timer, kept in storage so it survives reloads and closed tabs. */
export interface TimerState {
  /** Epoch ms when the current run started; null while paused or idle. */
  runningSince: number | null
  /** Time of finished runs, ms. */
  accumulatedMs: number
  /** Interval reminders already given in this session (so a reload does not repeat one). */
  reminded?: number
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
  return { ...state, runningSince: null, accumulatedMs: elapsedMs(state, now) }
}

/** Interval reminder choices, minutes (0 = off). */
export const REMINDER_CHOICES = [0, 5, 10, 15, 20, 30, 45, 60] as const
const REMINDER_KEY = 'mirubato.timer.reminder'

/** The chosen reminder interval in minutes (0 = off); a device setting, kept across sessions. */
export function readReminder(storage: KeyValueStorage): number {
  const value = Number(storage.getItem(REMINDER_KEY))
  return (REMINDER_CHOICES as readonly number[]).includes(value) ? value : 0
}

export function writeReminder(storage: KeyValueStorage, minutes: number): void {
  if (minutes > 0) storage.setItem(REMINDER_KEY, String(minutes))
  else storage.removeItem(REMINDER_KEY)
}

/**
 * The reminder due now, if any: the number of whole intervals practised when that number
 * passed the last one given (several missed while the tab slept count as one, the latest).
 */
export function dueReminder(state: TimerState, now: number, intervalMinutes: number): number | null {
  if (intervalMinutes <= 0 || state.runningSince === null) return null
  const count = Math.floor(elapsedMs(state, now) / (intervalMinutes * 60_000))
  return count > (state.reminded ?? 0) ? count : null
}

/** Minutes practised at the given reminder. */
export function reminderMinutes(count: number, intervalMinutes: number): number {
  return count * intervalMinutes
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
