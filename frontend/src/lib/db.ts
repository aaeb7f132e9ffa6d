import Dexie, { type Table } from 'dexie'
import type { Doc, EntityType } from './documents'

/** One synced document on this device; `deleted` mirrors a tombstone for cheap filtering. */
export interface StoredDocument {
  type: EntityType
  id: string
  data: Doc
  deleted: 0 | 1
  /** The server seq this copy arrived with, when known: older live frames are ignored. */
  seq?: number
}

/** A local write waiting to reach the server, oldest first. */
export interface OutboxItem {
  seq?: number
  type: EntityType
  id: string
  data: Doc
}

/** A recording made on this device that has not reached the server yet (the audio outbox). */
export interface PendingRecording {
  /** Local id, also the key; the server gives the recording its own id. */
  id: string
  audio: Blob
  contentType: string
  durationMs: number
  entryId?: string
  title?: string
  peaks?: number[]
  createdAt: string
  /** The multipart upload in progress, kept so a later attempt resumes it. */
  uploadId?: string
  /** Set when the server refused the upload for good: it is not retried, the user may discard it. */
  failure?: { status: number; message: string }
}

export interface MetaRow {
  key: string
  value: string
}

/** The device's IndexedDB store: documents, the outbox, and sync metadata (cursor, device id). */
export class LocalDatabase extends Dexie {
  documents!: Table<StoredDocument, [EntityType, string]>
  outbox!: Table<OutboxItem, number>
  meta!: Table<MetaRow, string>
  recordings!: Table<PendingRecording, string>

  constructor(name = 'mirubato') {
    super(name)
    this.version(1).stores({
      documents: '[type+id], type, [type+deleted]',
      outbox: '++seq, [type+id]',
      meta: 'key',
    })
    this.version(2).stores({ recordings: 'id, entryId' })
  }
}
