import { describe, expect, it } from 'vitest'
import { changeStatus, entryPractises, itemTitle, newItem, pieceStats, repertoireSummary, sortItems, type PieceStats, type RepertoireItem } from './repertoire'
import type { Entry } from './reports'

const entry = (id: string, timestamp: string, duration: number, extra: Partial<Entry> = {}): Entry => ({
  id,
  timestamp,
  duration,
  type: 'practice',
  instrument: 'piano',
  ...extra,
})

describe('repertoire', () => {
  it('keys a new item by the normalised score id', () => {
    expect(newItem(' Clair de Lune ', 'Debussy', 'learning')).toMatchObject({
      id: 'clair de lune-debussy',
      scoreId: 'clair de lune-debussy',
      title: 'Clair de Lune',
      status: 'learning',
    })
  })

  it('records status changes and ignores a non-change', () => {
    const item = newItem('A', 'B', 'planned')
    expect(changeStatus(item, 'planned', new Date())).toBe(item)
    const next = changeStatus(item, 'learning', new Date('2026-03-01T00:00:00Z'))
    expect(next.statusHistory).toEqual([{ from: 'planned', to: 'learning', at: '2026-03-01T00:00:00.000Z' }])
  })

  it('matches entries by score id or by piece (ids derived when missing) and sums them', () => {
    const entries = [
      entry('a', '2026-03-01T10:00:00Z', 10, { pieces: [{ title: 'Clair de Lune', composer: 'Debussy' }] }),
      entry('b', '2026-03-03T10:00:00Z', 20, { scoreId: 'clair de lune-debussy' }),
      entry('c', '2026-03-04T10:00:00Z', 30, { pieces: [{ id: 'other-x', title: 'Other' }] }),
    ]
    expect(entryPractises(entries[2], 'clair de lune-debussy')).toBe(false)
    const stats = pieceStats(entries, 'clair de lune-debussy')
    expect(stats).toMatchObject({ practiceCount: 2, totalPracticeTime: 30, lastPracticed: '2026-03-03T10:00:00Z' })
    expect(stats.sessions.map((e) => e.id)).toEqual(['b', 'a'])
  })

  it('names items by title, or from the score id', () => {
    expect(itemTitle(newItem('Clair de Lune', 'Debussy', 'planned'))).toBe('Clair de Lune — Debussy')
    expect(itemTitle({ id: 'x', scoreId: 'clair de lune-debussy', status: 'planned' })).toBe('clair de lune — debussy')
    expect(itemTitle({ id: 'x', scoreId: 'a - b||unknown', status: 'planned' })).toBe('a - b')
  })
})

describe('pieces screen', () => {
  const piece = (title: string, composer: string, status: RepertoireItem['status']) => newItem(title, composer, status)
  const items = [
    piece('Clair de Lune', 'Debussy', 'polished'),
    piece('Asturias', 'Albéniz', 'planned'),
    piece('Gymnopédie No. 1', 'Satie', 'learning'),
    piece('Arabesque No. 1', 'Debussy', 'working'),
  ]

  it('counts total, active and polished pieces', () => {
    expect(repertoireSummary(items)).toEqual({ total: 4, active: 2, polished: 1 })
    expect(repertoireSummary([])).toEqual({ total: 0, active: 0, polished: 0 })
  })

  it('sorts by status (learning first), title, composer, last practised and time', () => {
    const titles = (sorted: RepertoireItem[]) => sorted.map((item) => item.title)
    const stats = new Map<string, PieceStats>([
      [items[0].scoreId, { practiceCount: 1, totalPracticeTime: 30, lastPracticed: '2026-11-20T10:00:00Z', sessions: [] }],
      [items[1].scoreId, { practiceCount: 2, totalPracticeTime: 90, lastPracticed: '2026-11-22T10:00:00Z', sessions: [] }],
    ])
    expect(titles(sortItems(items, stats, 'status'))).toEqual(['Gymnopédie No. 1', 'Arabesque No. 1', 'Asturias', 'Clair de Lune'])
    expect(titles(sortItems(items, stats, 'title'))).toEqual(['Arabesque No. 1', 'Asturias', 'Clair de Lune', 'Gymnopédie No. 1'])
    expect(titles(sortItems(items, stats, 'composer'))).toEqual(['Asturias', 'Arabesque No. 1', 'Clair de Lune', 'Gymnopédie No. 1'])
    expect(titles(sortItems(items, stats, 'recent'))).toEqual(['Asturias', 'Clair de Lune', 'Arabesque No. 1', 'Gymnopédie No. 1'])
    expect(titles(sortItems(items, stats, 'time'))).toEqual(['Asturias', 'Clair de Lune', 'Arabesque No. 1', 'Gymnopédie No. 1'])
    // The input is left as it was.
    expect(items[0].title).toBe('Clair de Lune')
  })
})
