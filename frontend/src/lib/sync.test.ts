import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiClient } from './api'
import { LocalDatabase } from './db'
import { LocalStore } from './store'
import { SyncEngine, documentsOfFrame, mutationFrame } from './sync'

describe('frames', () => {
  it('turns queued entry and piece writes into socket mutations, tombstones into deletes', () => {
    const entry = { id: 'e1', duration: 5, updatedAt: '2026-03-01T00:00:00Z' }
    expect(mutationFrame({ seq: 1, type: 'logbook_entry', id: 'e1', data: entry })).toEqual({ type: 'ENTRY_UPDATED', entry })
    expect(mutationFrame({ seq: 2, type: 'logbook_entry', id: 'e1', data: { id: 'e1', deletedAt: '2026-03-02T00:00:00Z' } })).toEqual({
      type: 'ENTRY_DELETED',
      entryId: 'e1',
      timestamp: '2026-03-02T00:00:00Z',
    })
    expect(mutationFrame({ seq: 3, type: 'repertoire_item', id: 'a-b', data: { id: 'a-b', deletedAt: 'x' } })).toMatchObject({
      type: 'PIECE_REMOVED',
      scoreId: 'a-b',
    })
    expect(mutationFrame({ seq: 4, type: 'goal', id: 'g', data: { id: 'g' } })).toBeNull()
  })

  it('reads documents and their seq out of catch-up and live frames', () => {
    const ts = '2026-03-01T10:00:00.000Z'
    expect(documentsOfFrame({ type: 'BULK_SYNC', entries: [{ id: 'e2' }], lastSeq: 2, timestamp: ts })).toEqual([
      { type: 'logbook_entry', data: { id: 'e2' }, seq: 2 },
    ])
    expect(documentsOfFrame({ type: 'DOCUMENTS_SYNC', entityType: 'goal', documents: [{ id: 'g1' }], lastSeq: 3, timestamp: ts })).toEqual([
      { type: 'goal', data: { id: 'g1' }, seq: 3 },
    ])
    expect(documentsOfFrame({ type: 'DOCUMENTS_SYNC', entityType: 'nonsense', documents: [{ id: 'x' }], lastSeq: 3, timestamp: ts })).toEqual([])
    expect(documentsOfFrame({ type: 'ENTRY_DELETED', entryId: 'e1', seq: 8, lastSeq: 8, timestamp: ts })).toEqual([
      { type: 'logbook_entry', data: { id: 'e1', deletedAt: ts }, seq: 8 },
    ])
    expect(documentsOfFrame({ type: 'PIECE_REMOVED', scoreId: 'a-b', seq: 9, timestamp: ts })).toEqual([
      { type: 'repertoire_item', data: { id: 'a-b', deletedAt: ts }, seq: 9 },
    ])
    expect(documentsOfFrame({ type: 'CLOCK_SYNC', clientTime: 1, serverTime: 2 })).toEqual([])
  })
})

describe('SyncEngine over REST', () => {
  let store: LocalStore
  let calls: { url: string; init: RequestInit }[]
  let answers: Response[]
  let n = 0

  beforeEach(() => {
    vi.stubGlobal('navigator', { onLine: true })
    vi.stubGlobal('window', new EventTarget())
    n += 1
    store = new LocalStore(new LocalDatabase(`sync-test-${n}`))
    calls = []
    answers = []
  })
  afterEach(() => vi.unstubAllGlobals())

  function engine() {
    const tokens = { accessToken: 'a', refreshToken: 'r' }
    const api = new ApiClient(
      'http://api',
      { tokens: () => tokens, setTokens: () => {}, expire: () => {} },
      async (url, init) => {
        calls.push({ url, init: init ?? {} })
        return answers.shift() ?? new Response(JSON.stringify({ lastSeq: 0, syncToken: 'seq_0', hasMore: false }))
      },
    )
    // No socket in these tests: the engine falls back to REST for everything.
    return new SyncEngine({ store, api, syncUrl: 'ws://sync/ws', userId: 'u1', accessToken: () => null })
  }

  it('pushes the outbox with a stable idempotency key, applies conflicts, then pulls from the cursor', async () => {
    await store.save('logbook_entry', { id: 'e1', timestamp: 't', duration: 5, type: 'practice', instrument: 'piano' })
    await store.save('goal', { id: 'g1', title: 'mine', type: 'custom' })
    answers.push(
      new Response(
        JSON.stringify({
          lastSeq: 2,
          conflicts: [{ entityId: 'g1', entityType: 'goal', current: { id: 'g1', title: 'winner', type: 'custom' } }],
        }),
      ),
      new Response(JSON.stringify({ entries: [{ id: 'e9', timestamp: 't', duration: 1, type: 'practice', instrument: 'x', updatedAt: '2026-01-01T00:00:00Z' }], lastSeq: 5, syncToken: 'seq_5', hasMore: false })),
    )
    await engine().start()

    const [push, pull] = calls
    expect(push.url).toBe('http://api/api/sync/push')
    const headers = push.init.headers as Record<string, string>
    expect(headers['X-Idempotency-Key']).toMatch(/^web_[0-9a-f]{32}:1-2:2$/)
    expect(headers['X-Device-ID']).toMatch(/^web_/)
    const body = JSON.parse(String(push.init.body))
    expect(Object.keys(body.changes).sort()).toEqual(['entries', 'goals'])
    expect(pull.url).toBe('http://api/api/sync/pull')
    expect(JSON.parse(String(pull.init.body))).toEqual({ since: 0 })

    expect(await store.pending()).toEqual([])
    expect((await store.get('goal', 'g1'))?.title).toBe('winner')
    expect((await store.get('logbook_entry', 'e9'))?.duration).toBe(1)
    expect(await store.cursor()).toBe(5)
  })

  it('keeps the outbox when the push fails, and reports offline without trying while offline', async () => {
    await store.save('logbook_entry', { id: 'e1', timestamp: 't', duration: 5, type: 'practice', instrument: 'piano' })
    answers.push(new Response(JSON.stringify({ success: false, error: 'down', code: 'SERVICE_UNAVAILABLE' }), { status: 503 }))
    const sync = engine()
    await sync.start()
    expect(await store.pending()).toHaveLength(1)
    sync.stop()

    vi.stubGlobal('navigator', { onLine: false })
    calls = []
    const offline = engine()
    await offline.start()
    expect(calls).toEqual([])
    expect(offline.state).toBe('offline')
    offline.stop()
  })
})
