import { describe, expect, it } from 'vitest'
import { generateScoreId, newId } from './ids'

describe('generateScoreId', () => {
  it('matches the server for the cases core tests', () => {
    expect(generateScoreId('Clair de Lune', 'Debussy')).toBe('clair de lune-debussy')
    expect(generateScoreId('Prelude in C', 'J.S. Bach')).toBe('prelude in c-js bach')
    expect(generateScoreId('  Moonlight   Sonata ', ' Beethoven  ')).toBe('moonlight sonata-beethoven')
    expect(generateScoreId('Sonatina Op. 36 No. 1 - Movement 1', 'Clementi')).toBe(
      'sonatina op. 36 no. 1 - movement 1||clementi',
    )
    expect(generateScoreId('Symphony No. 5', 'Saint-Saëns')).toBe('symphony no. 5||saint-saëns')
  })

  it('unifies typographic quotes and dashes, and names a missing composer unknown', () => {
    expect(generateScoreId('Für Elise', '')).toBe('für elise-unknown')
    expect(generateScoreId('Rock \u2013 Song', null)).toBe('rock - song||unknown')
    expect(generateScoreId('\u201CHi\u201D', 'A')).toBe('"hi"-a')
  })
})

describe('newId', () => {
  it('is prefixed and unique', () => {
    const a = newId('entry')
    expect(a).toMatch(/^entry_[0-9a-f-]{36}$/)
    expect(newId('entry')).not.toBe(a)
  })
})
