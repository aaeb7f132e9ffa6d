import type { ApiClient } from './api'

/** One signed-in session of the user (a browser or app that holds a token pair). */
export interface DeviceSession {
  id: string
  /** This browser's own session. */
  current: boolean
  /** A label such as "Chrome on Linux"; may be empty. */
  device: string
  createdAt: Date | null
  lastUsedAt: Date | null
}

interface SessionsAnswer {
  sessions: { id: unknown; current?: unknown; device?: unknown; createdAt?: unknown; lastUsedAt?: unknown }[]
}

/**
 * An instant from the server: an ISO 8601 string, or a number of milliseconds (seconds when it
 * is too small to be milliseconds) since the epoch.
 */
export function parseInstant(value: unknown): Date | null {
  let date: Date
  if (typeof value === 'number' && Number.isFinite(value)) date = new Date(value < 1e11 ? value * 1000 : value)
  else if (typeof value === 'string' && value.trim() !== '') {
    const number = Number(value)
    date = Number.isFinite(number) ? new Date(number < 1e11 ? number * 1000 : number) : new Date(value)
  } else return null
  return Number.isNaN(date.getTime()) ? null : date
}

/** This browser's session first, then the others as the server lists them (newest first). */
export function orderSessions(sessions: DeviceSession[]): DeviceSession[] {
  return [...sessions.filter((s) => s.current), ...sessions.filter((s) => !s.current)]
}

export async function listSessions(api: ApiClient): Promise<DeviceSession[]> {
  const answer = await api.request<SessionsAnswer>('/api/auth/sessions')
  const list = Array.isArray(answer?.sessions) ? answer.sessions : []
  return orderSessions(
    list
      .filter((s) => typeof s.id === 'string' || typeof s.id === 'number')
      .map((s) => ({
        id: String(s.id),
        current: s.current === true,
        device: typeof s.device === 'string' ? s.device.trim() : '',
        createdAt: parseInstant(s.createdAt),
        lastUsedAt: parseInstant(s.lastUsedAt),
      })),
  )
}

/** Sign another session out. An id the server no longer knows (404) is already signed out. */
export async function endSession(api: ApiClient, id: string): Promise<void> {
  try {
    await api.request(`/api/auth/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' })
  } catch (err) {
    if ((err as { status?: unknown }).status !== 404) throw err
  }
}

/** Revoke every session of the user, this one included. */
export async function endAllSessions(api: ApiClient): Promise<void> {
  await api.request('/api/auth/logout-all', { method: 'POST', body: {} })
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400],
  ['month', 30 * 86_400],
  ['week', 7 * 86_400],
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
]

/**
 * "5 minutes ago", "yesterday", "gerade eben" in the given language: the largest unit that
 * fits, rounded down. Under a minute (or a clock a little ahead of this one) is "now".
 */
export function relativeTime(then: Date, now: Date, language: string): string {
  const format = new Intl.RelativeTimeFormat(language, { numeric: 'auto' })
  const seconds = Math.floor((now.getTime() - then.getTime()) / 1000)
  if (seconds < 60) return format.format(0, 'second')
  for (const [unit, size] of UNITS) {
    if (seconds >= size) return format.format(-Math.floor(seconds / size), unit)
  }
  return format.format(0, 'second')
}

/** A calendar date in the given language ("3 Dec 2026", "2026年12月3日"). */
export function formatDate(date: Date, language: string): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium' }).format(date)
}
