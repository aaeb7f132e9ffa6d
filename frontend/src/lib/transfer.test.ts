import { describe, expect, it } from 'vitest'
import { buildExport, parseExport } from './transfer'

describe('export and import', () => {
  it('round-trips documents of every pushable type', () => {
    const file = buildExport(
      {
        logbook_entry: [{ id: 'e1', duration: 5 }],
        repertoire_item: [{ id: 'a-b', scoreId: 'a-b', status: 'learning' }],
      },
      new Date('2026-03-01T00:00:00Z'),
    )
    expect(file.exportedAt).toBe('2026-03-01T00:00:00.000Z')
    expect(parseExport(JSON.stringify(file))).toEqual([
      { type: 'logbook_entry', doc: { id: 'e1', duration: 5 } },
      { type: 'repertoire_item', doc: { id: 'a-b', scoreId: 'a-b', status: 'learning' } },
    ])
  })

  it('skips tombstones, documents without an id and preferences', () => {
    // Files from elsewhere may lack ids: built by hand, not through buildExport's types.
    const file = {
      format: 'mirubato-export',
      version: 1,
      data: {
        goal: [{ id: 'g', deletedAt: '2026-01-01T00:00:00Z' }, { title: 'no id' }],
        user_preferences: [{ id: 'u', theme: 'dark' }],
        repertoire_item: [{ scoreId: 'x-y' }],
      },
    }
    expect(parseExport(JSON.stringify(file))).toEqual([{ type: 'repertoire_item', doc: { scoreId: 'x-y', id: 'x-y' } }])
  })

  it('rejects other files', () => {
    expect(() => parseExport('{"format":"other","data":{}}')).toThrow(/not a Mirubato export/)
    expect(() => parseExport('not json')).toThrow()
  })
})
