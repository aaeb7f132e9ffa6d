import { ENTITY_TYPES, documentId, isTombstone, type Doc, type EntityType } from './documents'

export const EXPORT_FORMAT = 'mirubato-export'

export interface ExportFile {
  format: typeof EXPORT_FORMAT
  version: 1
  exportedAt: string
  data: Partial<Record<EntityType, Doc[]>>
}

export function buildExport(data: Partial<Record<EntityType, Doc[]>>, now: Date): ExportFile {
  return { format: EXPORT_FORMAT, version: 1, exportedAt: now.toISOString(), data }
}

/** The documents of an export file, each with its type; throws on anything else. */
export function parseExport(text: string): { type: EntityType; doc: Doc }[] {
  const file = JSON.parse(text) as Partial<ExportFile>
  if (file?.format !== EXPORT_FORMAT || typeof file.data !== 'object' || file.data === null) {
    throw new Error('not a Mirubato export')
  }
  const out: { type: EntityType; doc: Doc }[] = []
  for (const type of ENTITY_TYPES) {
    if (type === 'user_preferences') continue
    const list = file.data[type]
    if (!Array.isArray(list)) continue
    for (const raw of list) {
      if (typeof raw !== 'object' || raw === null || isTombstone(raw)) continue
      const id = documentId(type, raw)
      if (id) out.push({ type, doc: { ...raw, id } })
    }
  }
  return out
}
