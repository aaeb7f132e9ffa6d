import 'fake-indexeddb/auto'
import { beforeEach, describe, expect, it } from 'vitest'
import { LocalDatabase } from './db'
import { LocalStore } from './store'

let store: LocalStore
let dbCount = 0

beforeEach(() => {
  dbCount += 1
  store = new LocalStore(new LocalDatabase(`test-${dbCount}`))
})

const entry = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  timestamp: '2026-03-01T09:00:00.000Z',
  duration: 20,
  type: 'practice',
  instrument: 'piano',
  ...extra,
})

describe('LocalStore', () => {
  it('saves optimistically and queues one outbox write per document', async () => {
    const first = await store.save('logbook_entry', entry('e1'), new Date('2026-03-01T10:00:00Z'))
    expect(first).toMatchObject({ version: 1, updatedAt: '2026-03-01T10:00:00.000Z', createdAt: '2026-03-01T10:00:00.000Z' })
    const second = await store.save('logbook_entry', { ...first, duration: 30 }, new Date('2026-03-01T10:01:00Z'))
    expect(second).toMatchObject({ version: 2, duration: 30, createdAt: '2026-03-01T10:00:00.000Z' })
    expect(await store.list('logbook_entry')).toEqual([second])
    const pending = await store.pending()
    expect(pending).toHaveLength(1)
    expect(pending[0].data).toEqual(second)
  })

  it('deletes as a queued tombstone and hides the document', async () => {
    await store.save('logbook_entry', entry('e1'))
    await store.remove('logbook_entry', 'e1', new Date('2026-03-02T00:00:00Z'))
    expect(await store.list('logbook_entry')).toEqual([])
    const [queued] = await store.pending()
    expect(queued.data).toEqual({ id: 'e1', deletedAt: '2026-03-02T00:00:00.000Z', version: 2 })
  })

  it('keeps a queued local write over a remote copy, and takes the remote once acknowledged', async () => {
    await store.save('logbook_entry', entry('e1', { notes: 'mine' }), new Date('2026-03-01T10:00:00Z'))
    const remote = { ...entry('e1', { notes: 'theirs' }), updatedAt: '2026-03-05T00:00:00.000Z' }
    expect(await store.applyRemote([{ type: 'logbook_entry', data: remote }])).toBe(0)
    expect((await store.get('logbook_entry', 'e1'))?.notes).toBe('mine')
    await store.acknowledge((await store.pending()).map((item) => item.seq!))
    expect(await store.applyRemote([{ type: 'logbook_entry', data: remote }])).toBe(1)
    expect((await store.get('logbook_entry', 'e1'))?.notes).toBe('theirs')
  })

  it('orders remote copies by seq when known, else by clock', async () => {
    const newer = { ...entry('e1', { notes: 'seq 5' }), updatedAt: '2026-03-01T00:00:00.000Z' }
    const older = { ...entry('e1', { notes: 'seq 3' }), updatedAt: '2026-03-09T00:00:00.000Z' }
    await store.applyRemote([{ type: 'logbook_entry', data: newer, seq: 5 }])
    await store.applyRemote([{ type: 'logbook_entry', data: older, seq: 3 }])
    expect((await store.get('logbook_entry', 'e1'))?.notes).toBe('seq 5')

    const a = { ...entry('e2', { notes: 'later' }), updatedAt: '2026-03-02T00:00:00.000Z' }
    const b = { ...entry('e2', { notes: 'earlier' }), updatedAt: '2026-03-01T00:00:00.000Z' }
    await store.applyRemote([{ type: 'logbook_entry', data: a }])
    await store.applyRemote([{ type: 'logbook_entry', data: b }])
    expect((await store.get('logbook_entry', 'e2'))?.notes).toBe('later')
  })

  it('applies remote tombstones and keys repertoire items by score id', async () => {
    await store.applyRemote([{ type: 'repertoire_item', data: { scoreId: 'a-b', status: 'learning', updatedAt: '2026-03-01T00:00:00Z' } }])
    expect(await store.list('repertoire_item')).toEqual([
      { id: 'a-b', scoreId: 'a-b', status: 'learning', updatedAt: '2026-03-01T00:00:00Z' },
    ])
    await store.applyRemote([{ type: 'repertoire_item', data: { id: 'a-b', deletedAt: '2026-03-02T00:00:00Z' } }])
    expect(await store.list('repertoire_item')).toEqual([])
  })

  it('accepts the server winner of a conflict and ends the queued write', async () => {
    await store.save('goal', { id: 'g1', title: 'mine', type: 'custom' })
    await store.acceptWinner('goal', 'g1', { id: 'g1', title: 'winner', type: 'custom', updatedAt: '2030-01-01T00:00:00Z' })
    expect(await store.pending()).toEqual([])
    expect((await store.get('goal', 'g1'))?.title).toBe('winner')
  })

  it('keeps a device id and a cursor, and clear() forgets data but not the device', async () => {
    const device = await store.deviceId()
    expect(device).toMatch(/^web_[0-9a-f]{32}$/)
    await store.setCursor(42)
    await store.save('logbook_entry', entry('e1'))
    await store.clear()
    expect(await store.cursor()).toBe(0)
    expect(await store.pending()).toEqual([])
    expect(await store.list('logbook_entry')).toEqual([])
    expect(await store.deviceId()).toBe(device)
  })

  it('lets local-only data join the first account, but drops another account\'s data', async () => {
    await store.save('logbook_entry', entry('local'))
    await store.claim('user_a')
    expect(await store.pending()).toHaveLength(1)
    await store.claim('user_a')
    expect(await store.list('logbook_entry')).toHaveLength(1)
    await store.setCursor(7)
    await store.claim('user_b')
    expect(await store.list('logbook_entry')).toEqual([])
    expect(await store.pending()).toEqual([])
    expect(await store.cursor()).toBe(0)
  })
})
