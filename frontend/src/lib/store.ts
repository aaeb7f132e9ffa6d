import { liveQuery, type Observable } from 'dexie'
import { LocalDatabase, type OutboxItem, type StoredDocument } from './db'
import { documentId, isTombstone, supersedes, versionOf, type Doc, type EntityType } from './documents'

/** A document received from the server, with the seq it came with when the frame said. */
export interface RemoteDocument {
  type: EntityType
  data: Record<string, unknown>
  seq?: number
}

const CURSOR_KEY = 'cursor'
const DEVICE_KEY = 'deviceId'
const OWNER_KEY = 'owner'

/**
 * The device's copy of the user's data. Every local change is applied at once (optimistic UI)
 * and queued in the outbox in the same transaction, so nothing written offline is lost.
 */
export class LocalStore {
  constructor(readonly db: LocalDatabase = new LocalDatabase()) {}

  /** Write a document now and queue it: stamps `updatedAt`, bumps `version`. */
  async save(type: EntityType, fields: Doc, now: Date = new Date()): Promise<Doc> {
    return this.db.transaction('rw', this.db.documents, this.db.outbox, async () => {
      const current = await this.db.documents.get([type, fields.id])
      const stamp = now.toISOString()
      const data: Doc = {
        ...fields,
        createdAt: fields.createdAt ?? current?.data.createdAt ?? stamp,
        updatedAt: stamp,
        version: current ? versionOf(current.data) + 1 : versionOf(fields),
      }
      delete data.deletedAt
      await this.write(type, data)
      return data
    })
  }

  /** Delete as a tombstone, which syncs like any other write. */
  async remove(type: EntityType, id: string, now: Date = new Date()): Promise<void> {
    await this.db.transaction('rw', this.db.documents, this.db.outbox, async () => {
      const current = await this.db.documents.get([type, id])
      const version = current ? versionOf(current.data) + 1 : 1
      await this.write(type, { id, deletedAt: now.toISOString(), version })
    })
  }

  private async write(type: EntityType, data: Doc) {
    await this.db.documents.put({ type, id: data.id, data, deleted: isTombstone(data) ? 1 : 0 })
    // Only the newest write of a document needs to travel.
    await this.db.outbox.where('[type+id]').equals([type, data.id]).delete()
    await this.db.outbox.add({ type, id: data.id, data })
  }

  /**
   * Apply documents from the server. A document with a write still queued here keeps the local
   * copy (the server answers that write with the winner); otherwise a copy with a known seq
   * replaces an older seq, and one without a seq replaces an older clock.
   */
  async applyRemote(documents: RemoteDocument[]): Promise<number> {
    if (documents.length === 0) return 0
    return this.db.transaction('rw', this.db.documents, this.db.outbox, async () => {
      let applied = 0
      for (const { type, data, seq } of documents) {
        const id = documentId(type, data)
        if (!id) continue
        const pending = await this.db.outbox.where('[type+id]').equals([type, id]).count()
        if (pending > 0) continue
        const current = await this.db.documents.get([type, id])
        const newer =
          seq !== undefined && current?.seq !== undefined ? seq >= current.seq : supersedes(data, current?.data)
        if (!newer) continue
        const doc = { ...data, id } as Doc
        const row: StoredDocument = { type, id, data: doc, deleted: isTombstone(doc) ? 1 : 0 }
        if (seq !== undefined) row.seq = seq
        await this.db.documents.put(row)
        applied += 1
      }
      return applied
    })
  }

  /** The server's winner replaces the local copy and ends the queued write. */
  async acceptWinner(type: EntityType, id: string, winner: Record<string, unknown> | null): Promise<void> {
    await this.db.transaction('rw', this.db.documents, this.db.outbox, async () => {
      await this.db.outbox.where('[type+id]').equals([type, id]).delete()
      if (winner) {
        const doc = { ...winner, id } as Doc
        await this.db.documents.put({ type, id, data: doc, deleted: isTombstone(doc) ? 1 : 0 })
      }
    })
  }

  /** Queued writes, oldest first. */
  pending(limit = 1000): Promise<OutboxItem[]> {
    return this.db.outbox.orderBy('seq').limit(limit).toArray()
  }

  /** Drop queued writes that reached the server (by outbox seq: newer rewrites stay). */
  async acknowledge(seqs: number[]): Promise<void> {
    await this.db.outbox.bulkDelete(seqs)
  }

  async get(type: EntityType, id: string): Promise<Doc | undefined> {
    const row = await this.db.documents.get([type, id])
    return row && !row.deleted ? row.data : undefined
  }

  /** The live (not deleted) documents of a type. */
  async list(type: EntityType): Promise<Doc[]> {
    const rows = await this.db.documents.where('[type+deleted]').equals([type, 0]).toArray()
    return rows.map((row) => row.data)
  }

  /** `list`, re-run whenever the store changes. */
  watch(type: EntityType): Observable<Doc[]> {
    return liveQuery(() => this.list(type))
  }

  watchPendingCount(): Observable<number> {
    return liveQuery(() => this.db.outbox.count())
  }

  /** The seq of the last completed catch-up (`0` before the first). */
  async cursor(): Promise<number> {
    const row = await this.db.meta.get(CURSOR_KEY)
    return row ? Number(row.value) : 0
  }

  async setCursor(seq: number): Promise<void> {
    await this.db.meta.put({ key: CURSOR_KEY, value: String(seq) })
  }

  /** A stable id for this device, sent as `X-Device-ID` and the socket's `deviceId`. */
  async deviceId(): Promise<string> {
    const row = await this.db.meta.get(DEVICE_KEY)
    if (row) return row.value
    const id = `web_${crypto.randomUUID().replaceAll('-', '')}`
    await this.db.meta.put({ key: DEVICE_KEY, value: id })
    return id
  }

  /** Everything of every type, tombstones excluded: the export. */
  async exportAll(): Promise<Record<EntityType, Doc[]>> {
    const rows = await this.db.documents.toArray()
    const out = {} as Record<EntityType, Doc[]>
    for (const row of rows) if (!row.deleted) (out[row.type] ??= []).push(row.data)
    return out
  }

  /**
   * Bind the device's data to the user who signs in. Local-only data (no owner yet) joins the
   * account; data left by another account (its session expired without a sign-out) is dropped,
   * so it can never be pushed into the wrong account.
   */
  async claim(userId: string): Promise<void> {
    await this.db.transaction('rw', [this.db.documents, this.db.outbox, this.db.meta, this.db.recordings], async () => {
      const owner = await this.db.meta.get(OWNER_KEY)
      if (owner && owner.value !== userId) await this.forget()
      await this.db.meta.put({ key: OWNER_KEY, value: userId })
    })
  }

  /** Forget the signed-in user's data on this device (sign-out, account deletion). */
  async clear(): Promise<void> {
    await this.db.transaction('rw', [this.db.documents, this.db.outbox, this.db.meta, this.db.recordings], () => this.forget())
  }

  private async forget() {
    await this.db.documents.clear()
    await this.db.outbox.clear()
    await this.db.recordings.clear()
    await this.db.meta.bulkDelete([CURSOR_KEY, OWNER_KEY])
  }
}
