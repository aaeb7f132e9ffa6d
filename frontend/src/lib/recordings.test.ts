import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { ApiRequestError, type RequestOptions } from './api'
import { LocalDatabase, type PendingRecording } from './db'
import {
  RecordingUploader,
  SINGLE_UPLOAD_LIMIT,
  isPermanentRefusal,
  recordingMimeType,
  uploadRecording,
  type UploadApi,
} from './recordings'
import { LocalStore } from './store'

interface Call {
  path: string
  method: string
  options: RequestOptions
}

/** A fake api that records calls and answers from a handler. */
function fakeApi(handler: (call: Call) => unknown): UploadApi & { calls: Call[] } {
  const calls: Call[] = []
  return {
    calls,
    request: <T,>(path: string, options: RequestOptions = {}) => {
      const call = { path, method: options.method ?? 'GET', options }
      calls.push(call)
      try {
        return Promise.resolve(handler(call) as T)
      } catch (error) {
        return Promise.reject(error as Error)
      }
    },
  }
}

const noProgress = { rememberUpload: () => Promise.resolve() }

function pending(size: number, fields: Partial<PendingRecording> = {}): PendingRecording {
  return {
    id: 'local_1',
    audio: new Blob([new Uint8Array(size)]),
    contentType: 'audio/webm;codecs=opus',
    durationMs: 3012.4,
    createdAt: '2026-11-23T01:00:00.000Z',
    ...fields,
  }
}

describe('uploadRecording', () => {
  it('sends a small recording in one request, then its peaks by PATCH', async () => {
    const api = fakeApi(({ method }) => (method === 'POST' ? { id: 'rec_1' } : { id: 'rec_1', peaks: [0.5] }))
    const doc = await uploadRecording(pending(1000, { entryId: 'entry_9', peaks: [0.5] }), api, noProgress)
    expect(doc).toEqual({ id: 'rec_1', peaks: [0.5] })
    expect(api.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /api/recordings?durationMs=3012&entryId=entry_9',
      'PATCH /api/recordings/rec_1',
    ])
    expect(api.calls[0].options.headers).toEqual({ 'content-type': 'audio/webm;codecs=opus' })
    expect(api.calls[0].options.rawBody?.size).toBe(1000)
    expect(api.calls[1].options.body).toEqual({ peaks: [0.5] })
  })

  it('sends a large recording in parts and completes it', async () => {
    const size = SINGLE_UPLOAD_LIMIT + 10
    const partSize = 10 * 1024 * 1024
    const remembered: (string | undefined)[] = []
    const api = fakeApi(({ path, method }) => {
      if (path === '/api/recordings/uploads') return { uploadId: 'up_1', recordingId: 'rec_2', partSize, partCount: 3, missingParts: [1, 2, 3] }
      if (method === 'PUT') return { etag: 'x' }
      return { id: 'rec_2' }
    })
    const doc = await uploadRecording(pending(size, { peaks: [0.1] }), api, {
      rememberUpload: (_, uploadId) => Promise.resolve(void remembered.push(uploadId)),
    })
    expect(doc).toEqual({ id: 'rec_2' })
    expect(remembered).toEqual(['up_1'])
    expect(api.calls[0].options.body).toMatchObject({ contentType: 'audio/webm;codecs=opus', size, durationMs: 3012, peaks: [0.1] })
    const parts = api.calls.filter((c) => c.method === 'PUT')
    expect(parts.map((c) => c.path)).toEqual([1, 2, 3].map((n) => `/api/recordings/uploads/up_1/parts/${n}`))
    expect(parts.map((c) => c.options.rawBody?.size)).toEqual([partSize, partSize, size - 2 * partSize])
    expect(api.calls.at(-1)).toMatchObject({ method: 'POST', path: '/api/recordings/uploads/up_1/complete' })
  })

  it('resumes an upload: only the parts the server is missing are sent', async () => {
    const size = SINGLE_UPLOAD_LIMIT + 10
    const api = fakeApi(({ path, method }) => {
      if (method === 'GET') return { uploadId: 'up_1', recordingId: 'rec_2', partSize: 10 * 1024 * 1024, partCount: 3, missingParts: [3] }
      if (method === 'PUT') return { etag: 'x' }
      if (path.endsWith('/complete')) return { id: 'rec_2' }
      throw new Error(`unexpected ${method} ${path}`)
    })
    await uploadRecording(pending(size, { uploadId: 'up_1' }), api, noProgress)
    expect(api.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /api/recordings/uploads/up_1',
      'PUT /api/recordings/uploads/up_1/parts/3',
      'POST /api/recordings/uploads/up_1/complete',
    ])
  })

  it('starts over when the server no longer knows the upload', async () => {
    const remembered: (string | undefined)[] = []
    const api = fakeApi(({ path, method }) => {
      if (method === 'GET') throw new ApiRequestError('Upload not found', 404, 'NOT_FOUND')
      if (path === '/api/recordings/uploads') return { uploadId: 'up_2', recordingId: 'rec_3', partSize: 30 * 1024 * 1024, partCount: 1, missingParts: [1] }
      return { id: 'rec_3' }
    })
    await uploadRecording(pending(SINGLE_UPLOAD_LIMIT + 1, { uploadId: 'up_old' }), api, {
      rememberUpload: (_, uploadId) => Promise.resolve(void remembered.push(uploadId)),
    })
    expect(remembered).toEqual([undefined, 'up_2'])
    expect(api.calls.filter((c) => c.method === 'PUT')).toHaveLength(1)
  })
})

describe('RecordingUploader', () => {
  it('keeps a recording that failed for the next round and turns an uploaded one into its document', async () => {
    const store = new LocalStore(new LocalDatabase(`uploader-${Math.random()}`))
    await store.db.recordings.bulkAdd([
      pending(10, { id: 'a', createdAt: '2026-11-23T01:00:00.000Z' }),
      pending(10, { id: 'b', createdAt: '2026-11-23T02:00:00.000Z' }),
    ])
    let online = false
    const api = fakeApi(({ options }) => {
      if (!online) throw new TypeError('Failed to fetch')
      return { id: `rec_${options.rawBody?.size}_${api.calls.length}`, entryId: 'e' }
    })
    const uploader = new RecordingUploader(store, api)
    await uploader.drain()
    expect(await store.db.recordings.count()).toBe(2)
    expect(await store.list('recording')).toEqual([])

    online = true
    await uploader.drain()
    expect(await store.db.recordings.count()).toBe(0)
    expect((await store.list('recording')).map((doc) => doc.id).sort()).toEqual(['rec_10_3', 'rec_10_4'])
  })
})

describe('refused uploads', () => {
  it('counts a 4xx as final except 401, 408 and 429; server faults and network errors pass', () => {
    const refusal = (status: number) => new ApiRequestError('x', status, 'X')
    expect([400, 403, 404, 413, 415, 422].map((status) => isPermanentRefusal(refusal(status)))).toEqual([true, true, true, true, true, true])
    expect([401, 408, 429, 500, 502, 503].map((status) => isPermanentRefusal(refusal(status)))).toEqual([false, false, false, false, false, false])
    expect(isPermanentRefusal(new TypeError('Failed to fetch'))).toBe(false)
  })

  it('marks a recording the server refuses for good as failed and stops sending it; a busy server is retried', async () => {
    const store = new LocalStore(new LocalDatabase(`refused-${Math.random()}`))
    await store.db.recordings.bulkAdd([
      pending(10, { id: 'too_big', createdAt: '2026-11-23T01:00:00.000Z' }),
      pending(20, { id: 'busy', createdAt: '2026-11-23T02:00:00.000Z' }),
    ])
    const api = fakeApi(({ options }) => {
      if (options.rawBody?.size === 10) throw new ApiRequestError('Recording storage quota exceeded', 413, 'PAYLOAD_TOO_LARGE')
      throw new ApiRequestError('Too many requests', 429, 'RATE_LIMITED')
    })
    const uploader = new RecordingUploader(store, api)
    await uploader.drain()
    expect(await store.db.recordings.get('too_big')).toMatchObject({
      failure: { status: 413, message: 'Recording storage quota exceeded' },
    })
    expect((await store.db.recordings.get('busy'))?.failure).toBeUndefined()
    expect(api.calls).toHaveLength(2)

    await uploader.drain()
    expect(api.calls.map((call) => call.options.rawBody?.size)).toEqual([10, 20, 20])
    expect(await store.db.recordings.count()).toBe(2)
  })
})

describe('recordingMimeType', () => {
  it('prefers Opus in WebM and falls back to what the browser supports', () => {
    expect(recordingMimeType(() => true)).toBe('audio/webm;codecs=opus')
    expect(recordingMimeType((type) => type === 'audio/mp4')).toBe('audio/mp4')
    expect(recordingMimeType(() => false)).toBeUndefined()
  })
})
