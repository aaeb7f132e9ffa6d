import { generateScoreId } from './ids'
import type { Doc } from './documents'
import type { Entry } from './reports'

export const STATUSES = ['planned', 'learning', 'working', 'polished', 'performance_ready', 'dropped'] as const
export type RepertoireStatus = (typeof STATUSES)[number]

export interface StatusChange {
  from: string
  to: string
  at: string
}

export interface RepertoireItem extends Doc {
  scoreId: string
  status: RepertoireStatus
  title?: string
  composer?: string
  personalNotes?: string | null
  statusHistory?: StatusChange[]
}

export function asItems(docs: Doc[] | undefined): RepertoireItem[] {
  return (docs ?? []).filter((doc): doc is RepertoireItem => typeof doc.scoreId === 'string')
}

/** A new item keyed by its normalised score id, as the server keys it. */
export function newItem(title: string, composer: string, status: RepertoireStatus): RepertoireItem {
  const scoreId = generateScoreId(title, composer)
  return { id: scoreId, scoreId, title: title.trim(), composer: composer.trim(), status, statusHistory: [] }
}

/** The item with a new status, the change recorded (newest 200 kept, like the server). */
export function changeStatus(item: RepertoireItem, status: RepertoireStatus, at: Date): RepertoireItem {
  if (item.status === status) return item
  const history = [...(item.statusHistory ?? []), { from: item.status, to: status, at: at.toISOString() }]
  return { ...item, status, statusHistory: history.slice(-200) }
}

/** Whether an entry practised the piece: by its `scoreId` or one of its pieces. */
export function entryPractises(entry: Entry, scoreId: string): boolean {
  if (entry.scoreId === scoreId) return true
  return (entry.pieces ?? []).some((p) => (p.id ?? generateScoreId(p.title, p.composer)) === scoreId)
}

export interface PieceStats {
  practiceCount: number
  totalPracticeTime: number
  lastPracticed: string | null
  sessions: Entry[]
}

export function pieceStats(entries: Entry[], scoreId: string): PieceStats {
  const sessions = entries
    .filter((e) => entryPractises(e, scoreId))
    .sort((a, b) => b.timestamp.localeCompare(a.timestamp))
  return {
    practiceCount: sessions.length,
    totalPracticeTime: sessions.reduce((sum, e) => sum + e.duration, 0),
    lastPracticed: sessions[0]?.timestamp ?? null,
    sessions,
  }
}

/** Display name of an item: its title, else the title part of its score id. */
export function itemTitle(item: RepertoireItem): string {
  if (item.title) return item.composer ? `${item.title} — ${item.composer}` : item.title
  const [title, composer] = item.scoreId.includes('||') ? item.scoreId.split('||') : [item.scoreId.replace(/-[^-]*$/, ''), item.scoreId.split('-').pop()]
  return composer && composer !== 'unknown' ? `${title} — ${composer}` : title
}

/** Summary tiles of the pieces screen: all pieces, those in progress, those polished. */
export function repertoireSummary(items: RepertoireItem[]): { total: number; active: number; polished: number } {
  return {
    total: items.length,
    active: items.filter((item) => item.status === 'learning' || item.status === 'working').length,
    polished: items.filter((item) => item.status === 'polished' || item.status === 'performance_ready').length,
  }
}

export const SORTS = ['status', 'title', 'composer', 'recent', 'time'] as const
export type RepertoireSort = (typeof SORTS)[number]

/** Status order for "learning first": what is being worked on, then what is next, then the rest. */
const STATUS_RANK: Record<RepertoireStatus, number> = { learning: 0, working: 1, planned: 2, polished: 3, performance_ready: 4, dropped: 5 }

/**
 * The pieces in the chosen order (ties by title): status (learning first), title, composer,
 * last practised (never-practised last), or most practice time.
 */
export function sortItems(items: RepertoireItem[], stats: Map<string, PieceStats>, sort: RepertoireSort): RepertoireItem[] {
  const title = (item: RepertoireItem) => itemTitle(item).toLocaleLowerCase()
  const byTitle = (a: RepertoireItem, b: RepertoireItem) => title(a).localeCompare(title(b))
  const compare: Record<RepertoireSort, (a: RepertoireItem, b: RepertoireItem) => number> = {
    status: (a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status],
    title: () => 0,
    composer: (a, b) => (a.composer ?? '').toLocaleLowerCase().localeCompare((b.composer ?? '').toLocaleLowerCase()),
    recent: (a, b) => (stats.get(b.scoreId)?.lastPracticed ?? '').localeCompare(stats.get(a.scoreId)?.lastPracticed ?? ''),
    time: (a, b) => (stats.get(b.scoreId)?.totalPracticeTime ?? 0) - (stats.get(a.scoreId)?.totalPracticeTime ?? 0),
  }
  return [...items].sort((a, b) => compare[sort](a, b) || byTitle(a, b))
}
