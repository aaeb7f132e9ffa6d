// The synced document model shared with the server: entity types, their names in the REST
// push/pull lists, and the ordering of writes (a port of the clock/version part of
// `mirubato_core::sync::merge`, enough for a device to know which copy is newer).

export const ENTITY_TYPES = [
  'logbook_entry',
  'goal',
  'practice_plan',
  'plan_occurrence',
  'plan_template',
  'repertoire_item',
  'user_preferences',
] as const

/** Documents only the server writes (a device uploads the audio, the api makes the document). */
export const SERVER_WRITTEN_TYPES = ['recording'] as const

export type EntityType = (typeof ENTITY_TYPES)[number] | (typeof SERVER_WRITTEN_TYPES)[number]

/** Every type a pull or a `DOCUMENTS_SYNC` frame may carry. */
export const PULLED_TYPES: readonly EntityType[] = [...ENTITY_TYPES, ...SERVER_WRITTEN_TYPES]

/** Types a device may push through `/api/sync/push` (preferences go through their own route). */
export type PushableType = Exclude<EntityType, 'user_preferences' | 'recording'>

/** `changes.<list>` of a push, and the list of the same name in a pull answer. */
export const LIST_OF: Record<EntityType, string> = {
  logbook_entry: 'entries',
  goal: 'goals',
  practice_plan: 'practicePlans',
  plan_occurrence: 'planOccurrences',
  plan_template: 'planTemplates',
  repertoire_item: 'repertoireItems',
  user_preferences: 'userPreferences',
  recording: 'recordings',
}

/** A synced document as stored: free-form JSON with an id and a clock. */
export type Doc = Record<string, unknown> & { id: string }

export function isTombstone(doc: Record<string, unknown>): boolean {
  return typeof doc.deletedAt === 'string'
}

function millis(value: unknown): number {
  if (typeof value === 'number') return value
  if (typeof value === 'string') {
    const ms = Date.parse(value)
    return Number.isNaN(ms) ? 0 : ms
  }
  return 0
}

/** The later of `updatedAt` and `deletedAt`, in ms. */
export function clockOf(doc: Record<string, unknown>): number {
  return Math.max(millis(doc.updatedAt), millis(doc.deletedAt))
}

export function versionOf(doc: Record<string, unknown>): number {
  return typeof doc.version === 'number' && doc.version >= 1 ? doc.version : 1
}

/**
 * Whether `incoming` should replace `local`: it is ordered after it by clock, then version.
 * Equal stamps take the incoming copy, which is the server's normalised one.
 */
export function supersedes(incoming: Record<string, unknown>, local: Record<string, unknown> | undefined): boolean {
  if (!local) return true
  const byClock = clockOf(incoming) - clockOf(local)
  if (byClock !== 0) return byClock > 0
  return versionOf(incoming) >= versionOf(local)
}

/** The document id the server keys a document by (repertoire items by their score id). */
export function documentId(type: EntityType, doc: Record<string, unknown>): string | null {
  const id = doc.id ?? (type === 'repertoire_item' ? doc.scoreId : undefined)
  return typeof id === 'string' && id.length > 0 ? id : null
}
