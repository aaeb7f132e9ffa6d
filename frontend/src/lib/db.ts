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

export interface MetaRow {
  key: string
  value: string
}

/** The device's IndexedDB store: documents, the outbox, and sync metadata (cursor, device id). */
export class LocalDatabase extends Dexie {
  documents!: Table<StoredDocument, [EntityType, string]>
  outbox!: Table<OutboxItem, number>
  meta!: Table<MetaRow, string>

  constructor(name = 'mirubato') {
    super(name)
    this.version(1).stores({
      documents: '[type+id], type, [type+deleted]',
      outbox: '++seq, [type+id]',
      meta: 'key',
    })
  }
}
