import type { Doc } from './documents'

export interface PieceRef {
  title: string
  composer?: string
  id?: string
}

/** The fields of a logbook entry the app reads (documents may carry more). */
export interface Entry extends Doc {
  timestamp: string
  duration: number
  type: string
  instrument: string
  pieces?: PieceRef[]
  techniques?: string[]
  mood?: string
  notes?: string
  tags?: string[]
  goalIds?: string[]
  scoreId?: string
}

export function asEntries(docs: Doc[] | undefined): Entry[] {
  return (docs ?? []).filter(
    (doc): doc is Entry => typeof doc.timestamp === 'string' && typeof doc.duration === 'number',
  )
}

/** `YYYY-MM-DD` of an instant in the device's time zone. */
export function localDay(instant: string | Date): string {
  const date = typeof instant === 'string' ? new Date(instant) : instant
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
}

function addDays(day: string, delta: number): string {
  const [y, m, d] = day.split('-').map(Number)
  return localDay(new Date(y, m - 1, d + delta))
}

/** Minutes per local day. */
export function dailyTotals(entries: Entry[]): Map<string, number> {
  const totals = new Map<string, number>()
  for (const entry of entries) {
    const day = localDay(entry.timestamp)
    totals.set(day, (totals.get(day) ?? 0) + entry.duration)
  }
  return totals
}

/** Entries grouped by local day, newest day and newest entry first. */
export function groupByDay(entries: Entry[]): { day: string; total: number; entries: Entry[] }[] {
  const sorted = [...entries].sort((a, b) => b.timestamp.localeCompare(a.timestamp))
  const groups: { day: string; total: number; entries: Entry[] }[] = []
  for (const entry of sorted) {
    const day = localDay(entry.timestamp)
    let group = groups[groups.length - 1]
    if (group?.day !== day) {
      group = { day, total: 0, entries: [] }
      groups.push(group)
    }
    group.entries.push(entry)
    group.total += entry.duration
  }
  return groups
}

/**
 * Days in a row with practice. The current streak counts back from today, or from yesterday
 * when today has nothing yet (the day is not over).
 */
export function streaks(totals: Map<string, number>, today: string): { current: number; longest: number } {
  const days = [...totals.entries()].filter(([, minutes]) => minutes > 0).map(([day]) => day).sort()
  let longest = 0
  let run = 0
  let previous: string | null = null
  for (const day of days) {
    run = previous !== null && addDays(previous, 1) === day ? run + 1 : 1
    longest = Math.max(longest, run)
    previous = day
  }
  const practised = new Set(days)
  let cursor = practised.has(today) ? today : addDays(today, -1)
  let current = 0
  while (practised.has(cursor)) {
    current += 1
    cursor = addDays(cursor, -1)
  }
  return { current, longest }
}

/** The last `count` days up to `today`, oldest first, with their minutes. */
export function lastDays(totals: Map<string, number>, today: string, count: number): { day: string; minutes: number }[] {
  return Array.from({ length: count }, (_, i) => {
    const day = addDays(today, i - count + 1)
    return { day, minutes: totals.get(day) ?? 0 }
  })
}

/** Heatmap level 0–4 of a day's minutes. */
export function heatLevel(minutes: number): number {
  if (minutes <= 0) return 0
  if (minutes < 15) return 1
  if (minutes < 30) return 2
  if (minutes < 60) return 3
  return 4
}

/** Minutes by a key of each entry, largest first. */
export function distribution(entries: Entry[], keyOf: (entry: Entry) => string[]): [string, number][] {
  const totals = new Map<string, number>()
  for (const entry of entries) {
    for (const key of keyOf(entry)) totals.set(key, (totals.get(key) ?? 0) + entry.duration)
  }
  return [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
}

export function pieceLabel(piece: PieceRef): string {
  return piece.composer ? `${piece.title} — ${piece.composer}` : piece.title
}

function csvField(value: string | number): string {
  const text = String(value)
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** RFC 4180 CSV of the entries, oldest first. */
export function entriesToCsv(entries: Entry[]): string {
  const header = ['date', 'duration_minutes', 'type', 'instrument', 'pieces', 'techniques', 'mood', 'tags', 'notes']
  const rows = [...entries]
    .sort((a, b) => a.timestamp.localeCompare(b.timestamp))
    .map((e) =>
      [
        e.timestamp,
        e.duration,
        e.type,
        e.instrument,
        (e.pieces ?? []).map(pieceLabel).join('; '),
        (e.techniques ?? []).join('; '),
        e.mood ?? '',
        (e.tags ?? []).join('; '),
        e.notes ?? '',
      ]
        .map(csvField)
        .join(','),
    )
  return [header.join(','), ...rows].join('\r\n') + '\r\n'
}

/** `1 h 05 min`, `45 min`. */
export function formatMinutes(minutes: number): string {
  const h = Math.floor(minutes / 60)
  const m = Math.round(minutes % 60)
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min`
}
