import { describe, expect, it } from 'vitest'
import { changeStatus, entryPractises, itemTitle, newItem, pieceStats } from './repertoire'
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
