import { renderToStaticMarkup } from 'react-dom/server'
import { MemoryRouter } from 'react-router'
import { describe, expect, it } from 'vitest'
import { NO_FILTERS, filterOptions } from '../../lib/logbook'
import { dailyTotals, type Entry } from '../../lib/reports'
import { EntryCard } from './EntryCard'
import { LogbookFilters } from './LogbookFilters'
import { YearHeatmap } from './YearHeatmap'

const entry: Entry = {
  id: 'entry_1',
  timestamp: new Date(2026, 10, 23, 9, 5).toISOString(),
  duration: 25,
  type: 'lesson',
  instrument: 'piano',
  mood: 'satisfied',
  techniques: ['scales'],
  tags: ['recital'],
  pieces: [
    { title: 'Clair de Lune', composer: 'Debussy', id: 'clair de lune||debussy' },
    { title: 'Gymnopédie No. 1', composer: 'Satie' },
  ],
  notes: 'x'.repeat(200),
}

const html = (node: React.ReactNode) => renderToStaticMarkup(<MemoryRouter>{node}</MemoryRouter>)
const noop = () => {}

describe('EntryCard', () => {
  const markup = html(
    <EntryCard entry={entry} repertoire={new Map([['clair de lune||debussy', 'clair de lune||debussy']])} onEdit={noop} onDuplicate={noop} onDelete={noop} />,
  )

  it('links a piece in the repertoire and leaves the others as text', () => {
    expect(markup).toContain('href="/repertoire/clair%20de%20lune%7C%7Cdebussy"')
    expect(markup).toContain('Gymnopédie No. 1')
    expect(markup.match(/href=/g)).toHaveLength(1)
  })

  it('shows type, instrument, mood, technique and tag badges, and folds long notes', () => {
    for (const text of ['Lesson', 'piano', 'Satisfied', 'scales', '#recital', '25 min']) expect(markup).toContain(text)
    expect(markup).toContain('line-clamp-3')
    expect(markup).toContain('aria-expanded="false"')
    expect(markup).toMatch(/>Edit<.*>Duplicate<.*>Delete</)
  })
})

describe('YearHeatmap', () => {
  it('draws 53 weeks of 7 days, three weekday labels, month labels and a legend', () => {
    const markup = html(<YearHeatmap totals={dailyTotals([entry])} today="2026-11-25" />)
    expect(markup.match(/data-day=/g)).toHaveLength(53 * 7)
    expect(markup).toContain('data-day="2026-11-23" data-level="2"')
    expect(markup).toContain('>Mon<')
    expect(markup).toContain('>Wed<')
    expect(markup).toContain('>Nov<')
    expect(markup).toContain('Days with practice in the last year: 1')
    expect(markup).toMatch(/Less.*More/)
  })
})

describe('LogbookFilters', () => {
  it('keeps the panel closed without filters, open with one, and counts the results', () => {
    const props = { options: filterOptions([entry]), onChange: noop, searchRef: null, shown: 1, total: 3 }
    const closed = html(<LogbookFilters filters={NO_FILTERS} {...props} />)
    expect(closed).toContain('aria-expanded="false"')
    expect(closed).not.toContain('1 of 3 entries')
    const open = html(<LogbookFilters filters={{ ...NO_FILTERS, composer: 'Satie' }} {...props} />)
    expect(open).toContain('aria-expanded="true"')
    expect(open).toContain('1 of 3 entries')
    expect(open).toContain('<option value="Satie" selected="">Satie</option>')
  })
})
