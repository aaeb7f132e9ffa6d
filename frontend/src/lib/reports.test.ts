import { describe, expect, it } from 'vitest'
import {
  dailyTotals,
  distribution,
  entriesToCsv,
  formatMinutes,
  groupByDay,
  heatLevel,
  lastDays,
  localDay,
  streaks,
  type Entry,
} from './reports'

function entry(id: string, day: string, duration: number, extra: Partial<Entry> = {}): Entry {
  const [y, m, d] = day.split('-').map(Number)
  return { id, timestamp: new Date(y, m - 1, d, 10).toISOString(), duration, type: 'practice', instrument: 'piano', ...extra }
}

describe('daily figures', () => {
  it('groups by local day with totals, newest first', () => {
    const groups = groupByDay([entry('a', '2026-03-01', 10), entry('b', '2026-03-02', 5), entry('c', '2026-03-01', 20)])
    expect(groups.map((g) => [g.day, g.total, g.entries.length])).toEqual([
      ['2026-03-02', 5, 1],
      ['2026-03-01', 30, 2],
    ])
  })

  it('lists the last days oldest first, across a month end', () => {
    const totals = dailyTotals([entry('a', '2026-03-01', 10)])
    expect(lastDays(totals, '2026-03-02', 3)).toEqual([
      { day: '2026-02-28', minutes: 0 },
      { day: '2026-03-01', minutes: 10 },
      { day: '2026-03-02', minutes: 0 },
    ])
  })

  it('maps minutes to heat levels', () => {
    expect([0, 1, 15, 30, 60, 300].map(heatLevel)).toEqual([0, 1, 2, 3, 4, 4])
  })

  it('formats local days and minutes', () => {
    expect(localDay(new Date(2026, 0, 5, 23, 59))).toBe('2026-01-05')
    expect(formatMinutes(45)).toBe('45 min')
    expect(formatMinutes(65)).toBe('1 h 05 min')
  })
})

describe('streaks', () => {
  const totals = dailyTotals(
    ['2026-02-26', '2026-02-27', '2026-02-28', '2026-03-01', '2026-03-05', '2026-03-06'].map((d, i) => entry(String(i), d, 10)),
  )
  it('counts the longest run across a month end', () => {
    expect(streaks(totals, '2026-03-06').longest).toBe(4)
  })
  it('counts the current run from today, or from yesterday while today is empty', () => {
    expect(streaks(totals, '2026-03-06').current).toBe(2)
    expect(streaks(totals, '2026-03-07').current).toBe(2)
    expect(streaks(totals, '2026-03-08').current).toBe(0)
  })
  it('is zero without practice', () => {
    expect(streaks(new Map(), '2026-03-01')).toEqual({ current: 0, longest: 0 })
  })
})

describe('distribution and CSV', () => {
  const entries = [
    entry('a', '2026-03-01', 10, { instrument: 'piano', pieces: [{ title: 'Clair de Lune', composer: 'Debussy' }] }),
    entry('b', '2026-03-02', 30, { instrument: 'guitar', notes: 'said "hi", then\nleft', tags: ['a', 'b'] }),
    entry('c', '2026-03-03', 15, { instrument: 'piano' }),
  ]
  it('sums minutes per key, largest first', () => {
    expect(distribution(entries, (e) => [e.instrument])).toEqual([
      ['guitar', 30],
      ['piano', 25],
    ])
  })
  it('writes quoted CSV, oldest first', () => {
    const csv = entriesToCsv(entries)
    const lines = csv.split('\r\n')
    expect(lines[0]).toBe('date,duration_minutes,type,instrument,pieces,techniques,mood,tags,notes')
    expect(lines[1]).toContain(',10,practice,piano,Clair de Lune — Debussy,,,,')
    expect(csv).toContain(',30,practice,guitar,,,,a; b,"said ""hi"", then\nleft"')
    expect(csv.endsWith('\r\n')).toBe(true)
  })
})
