import { describe, expect, it } from 'vitest'
import {
  NO_FILTERS,
  buildHeatmap,
  duplicateEntry,
  filterEntries,
  filterOptions,
  filtersFromQuery,
  filtersToQuery,
  hasFilters,
  isTypingTarget,
  logbookShortcut,
  practiceTotals,
  weekStart,
} from './logbook'
import { dailyTotals, groupByDay, localDay, type Entry } from './reports'

/** An entry at a local wall-clock time (the tests run in any time zone). */
function entry(id: string, local: string, fields: Partial<Entry> = {}): Entry {
  const [day, time = '10:00'] = local.split(' ')
  const [y, m, d] = day.split('-').map(Number)
  const [hh, mm] = time.split(':').map(Number)
  return { id, timestamp: new Date(y, m - 1, d, hh, mm).toISOString(), duration: 30, type: 'practice', instrument: 'piano', ...fields }
}

const entries: Entry[] = [
  entry('a', '2026-11-23 09:00', { duration: 20, pieces: [{ title: 'Clair de Lune', composer: 'Debussy' }], tags: ['recital'], notes: 'slow middle section' }),
  entry('b', '2026-11-23 18:30', { duration: 45, type: 'lesson', instrument: 'Guitar', pieces: [{ title: 'Asturias', composer: 'Albéniz' }], techniques: ['tremolo'] }),
  entry('c', '2026-11-20 08:00', { duration: 30, pieces: [{ title: 'Humoresque', composer: 'Dvořák' }], tags: ['Recital', 'sight-reading'] }),
  entry('d', '2026-10-02 12:00', { duration: 10, notes: 'scales only' }),
]

describe('filters', () => {
  it('finds words anywhere, in any case and without accents', () => {
    expect(filterEntries(entries, { ...NO_FILTERS, q: 'dvorak' }).map((e) => e.id)).toEqual(['c'])
    expect(filterEntries(entries, { ...NO_FILTERS, q: 'ALBENIZ tremolo' }).map((e) => e.id)).toEqual(['b'])
    expect(filterEntries(entries, { ...NO_FILTERS, q: 'middle scales' })).toEqual([])
    expect(filterEntries(entries, { ...NO_FILTERS, q: '  ' })).toHaveLength(4)
  })

  it('matches piece, composer, type, instrument and tag exactly (case-insensitive)', () => {
    expect(filterEntries(entries, { ...NO_FILTERS, piece: 'clair de lune' }).map((e) => e.id)).toEqual(['a'])
    expect(filterEntries(entries, { ...NO_FILTERS, piece: 'Clair' })).toEqual([])
    expect(filterEntries(entries, { ...NO_FILTERS, composer: 'Albeniz' }).map((e) => e.id)).toEqual(['b'])
    expect(filterEntries(entries, { ...NO_FILTERS, type: 'lesson' }).map((e) => e.id)).toEqual(['b'])
    expect(filterEntries(entries, { ...NO_FILTERS, instrument: 'guitar' }).map((e) => e.id)).toEqual(['b'])
    expect(filterEntries(entries, { ...NO_FILTERS, tag: 'recital' }).map((e) => e.id)).toEqual(['a', 'c'])
  })

  it('keeps a date range inclusive of both local days, and combines filters', () => {
    expect(filterEntries(entries, { ...NO_FILTERS, from: '2026-11-20', to: '2026-11-23' }).map((e) => e.id)).toEqual(['a', 'b', 'c'])
    expect(filterEntries(entries, { ...NO_FILTERS, to: '2026-11-20' }).map((e) => e.id)).toEqual(['c', 'd'])
    expect(filterEntries(entries, { ...NO_FILTERS, from: '2026-11-21', tag: 'recital' }).map((e) => e.id)).toEqual(['a'])
  })

  it('offers each value once, sorted', () => {
    const options = filterOptions(entries)
    expect(options.pieces).toEqual(['Asturias', 'Clair de Lune', 'Humoresque'])
    expect(options.composers).toEqual(['Albéniz', 'Debussy', 'Dvořák'])
    expect(options.tags).toEqual(['recital', 'sight-reading'])
    expect(options.types).toEqual(['lesson', 'practice'])
    expect(options.instruments).toEqual(['Guitar', 'piano'])
  })
})

describe('URL query', () => {
  it('round-trips every filter and leaves empty ones out', () => {
    const filters = { ...NO_FILTERS, q: 'slow', piece: 'Clair de Lune', composer: 'Debussy', type: 'practice', instrument: 'piano', tag: 'a&b', from: '2026-01-01', to: '2026-12-31' }
    const query = filtersToQuery(filters)
    expect(filtersFromQuery(new URLSearchParams(query.toString()))).toEqual(filters)
    expect(filtersToQuery({ ...NO_FILTERS, q: 'x' }).toString()).toBe('q=x')
  })

  it('keeps other parameters, drops cleared filters and malformed dates', () => {
    const query = filtersToQuery({ ...NO_FILTERS, tag: 'scales' }, new URLSearchParams('q=old&view=list'))
    expect(query.get('view')).toBe('list')
    expect(query.has('q')).toBe(false)
    expect(filtersFromQuery(new URLSearchParams('from=yesterday&to=2026-02-30x'))).toEqual(NO_FILTERS)
    expect(hasFilters(NO_FILTERS)).toBe(false)
    expect(hasFilters({ ...NO_FILTERS, to: '2026-01-01' })).toBe(true)
  })
})

describe('totals and grouping', () => {
  it('counts today, the week from Monday, and everything', () => {
    // 2026-11-23 is a Monday: the week holds only that day.
    expect(practiceTotals(entries, new Date(2026, 10, 23, 20, 0))).toEqual({ today: 65, week: 65, total: 105 })
    // Sunday the 29th: same week, nothing today.
    expect(practiceTotals(entries, new Date(2026, 10, 29, 20, 0))).toEqual({ today: 0, week: 65, total: 105 })
    // Sunday the 22nd: the week of the 16th holds the 20th.
    expect(practiceTotals(entries, new Date(2026, 10, 22, 9, 0))).toMatchObject({ today: 0, week: 30 })
  })

  it('finds the Monday of a week across a month and a year', () => {
    expect(weekStart('2026-11-23')).toBe('2026-11-23')
    expect(weekStart('2026-11-29')).toBe('2026-11-23')
    expect(weekStart('2027-01-02')).toBe('2026-12-28')
  })

  it('groups by local day with the day total, newest first', () => {
    const groups = groupByDay(entries)
    expect(groups.map((g) => [g.day, g.total, g.entries.map((e) => e.id)])).toEqual([
      ['2026-11-23', 65, ['b', 'a']],
      ['2026-11-20', 30, ['c']],
      ['2026-10-02', 10, ['d']],
    ])
  })
})

describe('heatmap', () => {
  const map = buildHeatmap(dailyTotals(entries), '2026-11-25')

  it('has 53 Monday-first weeks ending with the week of today, future days marked', () => {
    expect(map.weeks).toHaveLength(53)
    expect(map.weeks.every((week) => week.length === 7)).toBe(true)
    const last = map.weeks[52]
    expect(last[0].day).toBe('2026-11-23')
    expect(last[2]).toMatchObject({ day: '2026-11-25', future: false })
    expect(last[3]).toMatchObject({ day: '2026-11-26', future: true, level: 0 })
    expect(map.weeks[0][0].day).toBe(localDay(new Date(2025, 10, 24)))
  })

  it('buckets minutes into levels per day and counts practised days', () => {
    expect(map.weeks[52][0]).toMatchObject({ minutes: 65, level: 4 })
    expect(map.weeks[51][4]).toMatchObject({ day: '2026-11-20', minutes: 30, level: 3 })
    expect(map.practisedDays).toBe(3)
  })

  it('labels each month once, at its first week', () => {
    const labels = map.months.map((m) => m.day.slice(0, 7))
    expect(new Set(labels).size).toBe(labels.length)
    expect(labels.at(-1)).toBe('2026-11')
    expect(labels).toContain('2026-01')
    const november = map.months.find((m) => m.day.startsWith('2026-11'))!
    expect(map.weeks[november.column][0].day).toBe('2026-11-02')
  })
})

describe('duplicate', () => {
  it('copies the practice under a new id and time, without sync bookkeeping', () => {
    const source = { ...entries[0], version: 4, createdAt: 'x', updatedAt: 'y', seq: 9 }
    const now = new Date(2026, 11, 1, 9, 30)
    const copy = duplicateEntry(source, 'entry_new', now)
    expect(copy).toMatchObject({ id: 'entry_new', timestamp: now.toISOString(), duration: 20, notes: 'slow middle section', tags: ['recital'] })
    expect(copy).not.toHaveProperty('version')
    expect(copy).not.toHaveProperty('createdAt')
    expect(copy).not.toHaveProperty('seq')
    copy.pieces![0].title = 'changed'
    expect(source.pieces![0].title).toBe('Clair de Lune')
  })
})

describe('shortcuts', () => {
  const free = { modifier: false, typing: false, dialogOpen: false }
  it('n opens a new entry and / the search', () => {
    expect(logbookShortcut('n', free)).toBe('new')
    expect(logbookShortcut('/', free)).toBe('search')
    expect(logbookShortcut('x', free)).toBeNull()
  })
  it('does nothing while typing, with a modifier, or over a dialog', () => {
    expect(logbookShortcut('n', { ...free, typing: true })).toBeNull()
    expect(logbookShortcut('n', { ...free, modifier: true })).toBeNull()
    expect(logbookShortcut('/', { ...free, dialogOpen: true })).toBeNull()
  })
  it('counts text fields as typing, not checkboxes or plain elements', () => {
    const element = (tag: string, type = '', editable = false) =>
      ({ tagName: tag, type, isContentEditable: editable, closest: (selector: string) => (selector.includes(tag.toLowerCase()) ? { tagName: tag, type } : null) }) as unknown as EventTarget
    expect(isTypingTarget(element('INPUT', 'search'))).toBe(true)
    expect(isTypingTarget(element('TEXTAREA'))).toBe(true)
    expect(isTypingTarget(element('INPUT', 'checkbox'))).toBe(false)
    expect(isTypingTarget(element('DIV', '', true))).toBe(true)
    expect(isTypingTarget(element('BUTTON'))).toBe(false)
    expect(isTypingTarget(null)).toBe(false)
  })
})
