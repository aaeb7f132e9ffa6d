/**
 * The logbook overview's logic: filters and their URL query, the today / week / total figures,
 * and the year heatmap's weeks and month labels. Pure functions; the page only renders them.
 */
import { heatLevel, localDay, type Entry } from './reports'

export interface LogbookFilters {
  /** Free text: notes, pieces, composers, techniques, tags, instrument. */
  q: string
  piece: string
  composer: string
  type: string
  instrument: string
  tag: string
  /** `YYYY-MM-DD`, inclusive, local days. */
  from: string
  to: string
}

export const FILTER_KEYS = ['q', 'piece', 'composer', 'type', 'instrument', 'tag', 'from', 'to'] as const satisfies readonly (keyof LogbookFilters)[]

export const NO_FILTERS: LogbookFilters = { q: '', piece: '', composer: '', type: '', instrument: '', tag: '', from: '', to: '' }

const DAY = /^\d{4}-\d{2}-\d{2}$/

/** The filters a URL query holds; unknown keys are ignored, a malformed date is dropped. */
export function filtersFromQuery(params: URLSearchParams): LogbookFilters {
  const filters = { ...NO_FILTERS }
  for (const key of FILTER_KEYS) filters[key] = (params.get(key) ?? '').trim()
  if (!DAY.test(filters.from)) filters.from = ''
  if (!DAY.test(filters.to)) filters.to = ''
  return filters
}

/** The query for the filters: empty ones are left out; other parameters of `base` stay. */
export function filtersToQuery(filters: LogbookFilters, base: URLSearchParams = new URLSearchParams()): URLSearchParams {
  const params = new URLSearchParams(base)
  for (const key of FILTER_KEYS) {
    const value = filters[key].trim()
    if (value) params.set(key, value)
    else params.delete(key)
  }
  return params
}

export function hasFilters(filters: LogbookFilters): boolean {
  return FILTER_KEYS.some((key) => filters[key].trim() !== '')
}

/** Lower case without accents: "Dvořák" matches "dvorak". */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLocaleLowerCase()
}

function searchable(entry: Entry): string {
  return fold(
    [
      entry.notes ?? '',
      entry.type,
      entry.instrument,
      entry.mood ?? '',
      ...(entry.pieces ?? []).flatMap((p) => [p.title, p.composer ?? '']),
      ...(entry.techniques ?? []),
      ...(entry.tags ?? []),
    ].join('\n'),
  )
}

export function matchesFilters(entry: Entry, filters: LogbookFilters): boolean {
  const q = fold(filters.q.trim())
  if (q && !q.split(/\s+/).every((word) => searchable(entry).includes(word))) return false
  const pieces = entry.pieces ?? []
  if (filters.piece && !pieces.some((p) => fold(p.title) === fold(filters.piece))) return false
  if (filters.composer && !pieces.some((p) => fold(p.composer ?? '') === fold(filters.composer))) return false
  if (filters.type && entry.type !== filters.type) return false
  if (filters.instrument && fold(entry.instrument) !== fold(filters.instrument)) return false
  if (filters.tag && !(entry.tags ?? []).some((tag) => fold(tag) === fold(filters.tag))) return false
  const day = localDay(entry.timestamp)
  if (filters.from && day < filters.from) return false
  if (filters.to && day > filters.to) return false
  return true
}

export function filterEntries(entries: Entry[], filters: LogbookFilters): Entry[] {
  return hasFilters(filters) ? entries.filter((entry) => matchesFilters(entry, filters)) : entries
}

export interface FilterOptions {
  pieces: string[]
  composers: string[]
  types: string[]
  instruments: string[]
  tags: string[]
}

/** The values the filter menus offer: what the entries hold, each once, sorted. */
export function filterOptions(entries: Entry[]): FilterOptions {
  const sets = { pieces: new Map<string, string>(), composers: new Map<string, string>(), types: new Map<string, string>(), instruments: new Map<string, string>(), tags: new Map<string, string>() }
  const add = (set: Map<string, string>, value: string | undefined) => {
    const text = value?.trim()
    if (text && !set.has(fold(text))) set.set(fold(text), text)
  }
  for (const entry of entries) {
    for (const piece of entry.pieces ?? []) {
      add(sets.pieces, piece.title)
      add(sets.composers, piece.composer)
    }
    add(sets.types, entry.type)
    add(sets.instruments, entry.instrument)
    for (const tag of entry.tags ?? []) add(sets.tags, tag)
  }
  const sorted = (set: Map<string, string>) => [...set.values()].sort((a, b) => a.localeCompare(b))
  return { pieces: sorted(sets.pieces), composers: sorted(sets.composers), types: sorted(sets.types), instruments: sorted(sets.instruments), tags: sorted(sets.tags) }
}

function addDays(day: string, delta: number): string {
  const [y, m, d] = day.split('-').map(Number)
  return localDay(new Date(y, m - 1, d + delta))
}

/** Monday (ISO weeks) of the local week a day is in. */
export function weekStart(day: string): string {
  const [y, m, d] = day.split('-').map(Number)
  const weekday = (new Date(y, m - 1, d).getDay() + 6) % 7
  return addDays(day, -weekday)
}

/** Minutes today, this week (from Monday) and in all, local time. Future entries count in the total only. */
export function practiceTotals(entries: Entry[], now: Date): { today: number; week: number; total: number } {
  const today = localDay(now)
  const monday = weekStart(today)
  let day = 0
  let week = 0
  let total = 0
  for (const entry of entries) {
    const entryDay = localDay(entry.timestamp)
    total += entry.duration
    if (entryDay === today) day += entry.duration
    if (entryDay >= monday && entryDay <= today) week += entry.duration
  }
  return { today: day, week, total }
}

export interface HeatCell {
  day: string
  minutes: number
  level: number
  /** After today: drawn empty, not as "no practice". */
  future: boolean
}

export interface Heatmap {
  /** Columns of 7 days, Monday to Sunday, oldest first; the last column holds today. */
  weeks: HeatCell[][]
  /** Where a month's label goes: the first column whose Monday is in that month. */
  months: { column: number; day: string }[]
  practisedDays: number
}

/** The last `weekCount` weeks up to today's week, bucketed per local day. */
export function buildHeatmap(totals: Map<string, number>, today: string, weekCount = 53): Heatmap {
  const first = addDays(weekStart(today), -7 * (weekCount - 1))
  const weeks: HeatCell[][] = []
  const months: { column: number; day: string }[] = []
  let practisedDays = 0
  for (let w = 0; w < weekCount; w++) {
    const column: HeatCell[] = []
    for (let d = 0; d < 7; d++) {
      const day = addDays(first, w * 7 + d)
      const future = day > today
      const minutes = future ? 0 : totals.get(day) ?? 0
      if (minutes > 0) practisedDays += 1
      column.push({ day, minutes, level: heatLevel(minutes), future })
    }
    const monday = column[0].day
    const previous = weeks.length > 0 ? weeks[weeks.length - 1][0].day : null
    if (previous === null ? Number(monday.slice(8)) <= 7 : previous.slice(0, 7) !== monday.slice(0, 7)) months.push({ column: w, day: monday })
    weeks.push(column)
  }
  return { weeks, months, practisedDays }
}

const COPY_DROPS = ['id', 'createdAt', 'updatedAt', 'version', 'deletedAt', 'seq', 'checksum', 'deviceId', 'device_id'] as const

/** A new entry with the same practice (pieces, type, notes …) at `now`, ready for the form. */
export function duplicateEntry(entry: Entry, id: string, now: Date): Entry {
  const copy: Entry = {
    ...entry,
    id,
    timestamp: now.toISOString(),
    pieces: (entry.pieces ?? []).map((p) => ({ ...p })),
    techniques: [...(entry.techniques ?? [])],
    tags: [...(entry.tags ?? [])],
    goalIds: [...(entry.goalIds ?? [])],
  }
  for (const key of COPY_DROPS) if (key !== 'id') delete copy[key]
  return copy
}

export type Shortcut = 'new' | 'search'

/**
 * The logbook's single-key shortcuts: `n` a new entry, `/` the search. Not while typing in a
 * field, with a modifier held, or with a dialog open.
 */
export function logbookShortcut(
  key: string,
  context: { modifier: boolean; typing: boolean; dialogOpen: boolean },
): Shortcut | null {
  if (context.modifier || context.typing || context.dialogOpen) return null
  if (key === 'n' || key === 'N') return 'new'
  if (key === '/') return 'search'
  return null
}

/** Whether keys typed at this element are text (an input, a textarea, a select, contenteditable). */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false
  const element = target as HTMLElement
  if (element.isContentEditable) return true
  const field = element.closest('input, textarea, select')
  if (!field) return false
  const type = (field as HTMLInputElement).type
  return !(field.tagName === 'INPUT' && ['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes(type))
}
