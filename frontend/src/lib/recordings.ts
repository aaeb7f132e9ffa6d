import type { ApiClient } from './api'
import { ApiRequestError } from './api'
import type { PendingRecording } from './db'
import type { Doc } from './documents'
import type { LocalStore } from './store'

/** Above this size the api takes a recording only through the resumable multipart routes. */
export const SINGLE_UPLOAD_LIMIT = 25 * 1024 * 1024

/** The api's view of a multipart upload (create and resume answer the same). */
export interface UploadView {
  uploadId: string
  recordingId: string
  partSize: number
  partCount: number
  missingParts: number[]
}

/** The calls the uploader makes; `ApiClient` provides them, tests fake them. */
export type UploadApi = Pick<ApiClient, 'request'>

/** Where an upload in progress is remembered between attempts (IndexedDB in the app). */
export interface UploadProgress {
  rememberUpload(id: string, uploadId: string | undefined): Promise<void>
}

/** The MIME type the browser records in: Opus in WebM where supported. */
export function recordingMimeType(isSupported: (type: string) => boolean): string | undefined {
  return ['audio/webm;codecs=opus', 'audio/webm', 'audio/ogg;codecs=opus', 'audio/mp4'].find(isSupported)
}

function singleUploadQuery(item: PendingRecording): string {
  const query = new URLSearchParams({ durationMs: String(Math.round(item.durationMs)) })
  if (item.entryId) query.set('entryId', item.entryId)
  if (item.title) query.set('title', item.title)
  return query.toString()
}

/**
 * A refusal that sending again cannot change (413 over quota, 415 wrong type, 400…): any 4xx
 * except 408 (timed out) and 429 (rate limited), which pass, and 401, which is the session's
 * problem, not the recording's (the client refreshes it or ends the session).
 */
export function isPermanentRefusal(error: unknown): error is ApiRequestError {
  return (
    error instanceof ApiRequestError &&
    error.status >= 400 &&
    error.status < 500 &&
    ![401, 408, 429].includes(error.status)
  )
}

/** An upload the server no longer knows (aborted after 24 h, or finished elsewhere) starts over. */
function isGone(error: unknown): boolean {
  return error instanceof ApiRequestError && error.status === 404
}

async function multipartUpload(item: PendingRecording, api: UploadApi, progress: UploadProgress): Promise<Doc> {
  let view: UploadView | null = null
  if (item.uploadId) {
    try {
      view = await api.request<UploadView>(`/api/recordings/uploads/${encodeURIComponent(item.uploadId)}`)
    } catch (error) {
      if (!isGone(error)) throw error
      await progress.rememberUpload(item.id, undefined)
    }
  }
  if (!view) {
    view = await api.request<UploadView>('/api/recordings/uploads', {
      method: 'POST',
      body: {
        contentType: item.contentType,
        size: item.audio.size,
        durationMs: Math.round(item.durationMs),
        ...(item.entryId ? { entryId: item.entryId } : {}),
        ...(item.title ? { title: item.title } : {}),
        ...(item.peaks ? { peaks: item.peaks } : {}),
      },
    })
    await progress.rememberUpload(item.id, view.uploadId)
  }
  const base = `/api/recordings/uploads/${encodeURIComponent(view.uploadId)}`
  // Parts the server already holds are not sent again.
  for (const part of view.missingParts) {
    const start = (part - 1) * view.partSize
    await api.request(`${base}/parts/${part}`, {
      method: 'PUT',
      rawBody: item.audio.slice(start, start + view.partSize),
      headers: { 'content-type': 'application/octet-stream' },
    })
  }
  return api.request<Doc>(`${base}/complete`, { method: 'POST', body: {} })
}

/**
 * Send one recording: small ones in one request (peaks follow by PATCH), large ones through
 * the resumable multipart routes. Resolves with the server's `recording` document.
 */
export async function uploadRecording(item: PendingRecording, api: UploadApi, progress: UploadProgress): Promise<Doc> {
  if (item.audio.size > SINGLE_UPLOAD_LIMIT) return multipartUpload(item, api, progress)
  const doc = await api.request<Doc>(`/api/recordings?${singleUploadQuery(item)}`, {
    method: 'POST',
    rawBody: item.audio,
    headers: { 'content-type': item.contentType },
  })
  if (!item.peaks || item.peaks.length === 0) return doc
  return api.request<Doc>(`/api/recordings/${encodeURIComponent(doc.id)}`, { method: 'PATCH', body: { peaks: item.peaks } })
}

/**
 * The audio outbox: recordings wait in IndexedDB until they are uploaded, oldest first; each
 * uploaded one becomes a `recording` document at once (the pull would bring it too).
 * One that fails stays for the next round (coming online, a new recording, the next start);
 * one the server refuses for good is marked failed and waits for the user to discard it.
 */
export class RecordingUploader {
  private running: Promise<void> | null = null

  constructor(
    private readonly store: LocalStore,
    private readonly api: UploadApi,
  ) {}

  drain(): Promise<void> {
    this.running ??= this.drainOnce().finally(() => {
      this.running = null
    })
    return this.running
  }

  private async drainOnce(): Promise<void> {
    const { db } = this.store
    const progress: UploadProgress = {
      rememberUpload: async (id, uploadId) => {
        await db.recordings.update(id, { uploadId })
      },
    }
    const pending = (await db.recordings.toArray())
      .filter((item) => !item.failure)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    for (const item of pending) {
      let doc: Doc
      try {
        doc = await uploadRecording(item, this.api, progress)
      } catch (error) {
        if (isPermanentRefusal(error)) {
          await db.recordings.update(item.id, { failure: { status: error.status, message: error.message } })
        }
        // Otherwise (offline, a server fault) the audio stays on the device for the next round.
        continue
      }
      await this.store.applyRemote([{ type: 'recording', data: doc }])
      await db.recordings.delete(item.id)
    }
  }
}
