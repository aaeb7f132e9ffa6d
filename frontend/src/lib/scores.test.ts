import { describe, expect, it } from 'vitest'
import type { RequestOptions } from './api'
import { findScores, importFromUrl, isImslpLink, waitForProcessing, type ProcessingStatus, type ScoresApi } from './scores'

function fakeApi(answer: (path: string, options: RequestOptions) => unknown): ScoresApi & { paths: string[] } {
  const paths: string[] = []
  return {
    paths,
    request: <T,>(path: string, options: RequestOptions = {}) => {
      paths.push(path)
      return Promise.resolve(answer(path, options) as T)
    },
    requestBlob: () => Promise.reject(new Error('not used')),
  }
}

describe('findScores', () => {
  it('browses the library without a query and searches with one', async () => {
    const api = fakeApi((path) =>
      path.startsWith('/api/search')
        ? { success: true, data: { scores: [{ id: 'score_b' }], total: 1 } }
        : { success: true, data: { items: [{ id: 'score_a' }], total: 7, hasMore: true } },
    )
    expect(await findScores(api, '   ')).toEqual({ scores: [{ id: 'score_a' }], total: 7 })
    expect(await findScores(api, ' satie gymno ', 24)).toEqual({ scores: [{ id: 'score_b' }], total: 1 })
    expect(api.paths).toEqual(['/api/scores?limit=24&offset=0', '/api/search?query=satie+gymno&limit=24&offset=24'])
  })
})

describe('waitForProcessing', () => {
  it('polls the import until processing ends, reporting each state', async () => {
    const states: ProcessingStatus[] = ['pending', 'processing', 'completed', 'completed']
    const api = fakeApi(() => ({ success: true, data: { id: 'score_1', processingStatus: states.shift() } }))
    const seen: string[] = []
    const slept: number[] = []
    const last = await waitForProcessing(api, 'score_1', {
      intervalMs: 10,
      sleep: (ms) => {
        slept.push(ms)
        return Promise.resolve()
      },
      onUpdate: (score) => seen.push(score.processingStatus),
    })
    expect(last.processingStatus).toBe('completed')
    expect(seen).toEqual(['pending', 'processing', 'completed'])
    expect(slept).toEqual([10, 10])
    expect(api.paths).toEqual(['/api/import/score_1', '/api/import/score_1', '/api/import/score_1'])
  })

  it('stops at a failure, and when the caller aborts', async () => {
    const failed = fakeApi(() => ({ success: true, data: { id: 's', processingStatus: 'failed', processingError: 'unreadable' } }))
    expect((await waitForProcessing(failed, 's', { sleep: () => Promise.resolve() })).processingError).toBe('unreadable')

    const controller = new AbortController()
    const pending = fakeApi(() => ({ success: true, data: { id: 's', processingStatus: 'pending' } }))
    const last = await waitForProcessing(pending, 's', {
      signal: controller.signal,
      sleep: () => {
        controller.abort()
        return Promise.resolve()
      },
    })
    expect(last.processingStatus).toBe('pending')
    expect(pending.paths).toHaveLength(1)
  })
})

describe('importFromUrl', () => {
  it('sends IMSLP links to the IMSLP import and other links to the URL import', async () => {
    const bodies: unknown[] = []
    const api = fakeApi((_path, options) => {
      bodies.push(options.body)
      return { success: true, data: { id: `score_${bodies.length}` } }
    })
    expect(await importFromUrl(api, ' https://imslp.org/wiki/Lagrima_(T%C3%A1rrega,_Francisco) ')).toBe('score_1')
    expect(await importFromUrl(api, 'https://petrucci.imslp.org/files/x.pdf')).toBe('score_2')
    expect(await importFromUrl(api, 'https://example.com/imslp.org.pdf')).toBe('score_3')
    expect(api.paths).toEqual(['/api/import/imslp', '/api/import/imslp', '/api/import'])
    expect(bodies[0]).toEqual({ url: 'https://imslp.org/wiki/Lagrima_(T%C3%A1rrega,_Francisco)' })
  })

  it('recognises IMSLP hosts only', () => {
    expect(isImslpLink('https://IMSLP.org/wiki/X')).toBe(true)
    expect(isImslpLink('https://imslp.org.evil.com/wiki/X')).toBe(false)
    expect(isImslpLink('not a url')).toBe(false)
  })
})
