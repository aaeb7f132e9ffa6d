import type { ApiClient } from './api'

/** The calls the scorebook makes on the scores worker; `ApiClient` provides them, tests fake them. */
export type ScoresApi = Pick<ApiClient, 'request' | 'requestBlob'>

export type ProcessingStatus = 'pending' | 'processing' | 'completed' | 'failed'

/** The fields of a score (docs/API.md, "Scores") the app shows. */
export interface Score {
  id: string
  title: string
  composer: string
  instrument?: string | null
  difficulty?: string | null
  visibility: 'private' | 'public' | 'unlisted'
  sourceType?: 'pdf' | 'image' | 'multi-image' | null
  pageCount?: number | null
  processingStatus: ProcessingStatus
  processingError?: string | null
  userId?: string | null
  createdAt?: string
}

export interface ScorePage {
  scores: Score[]
  total: number
}

export interface Collection {
  id: string
  name: string
  description?: string | null
  isDefault: boolean
  scoreIds: string[]
}

export const PAGE_SIZE = 24

interface Envelope<T> {
  success: boolean
  data: T
}

/** Browse (no query: newest first) or search (words matched by prefix, best match first). */
export async function findScores(api: ScoresApi, query: string, offset = 0): Promise<ScorePage> {
  const words = query.trim()
  if (!words) {
    const answer = await api.request<Envelope<{ items: Score[]; total: number }>>(
      `/api/scores?${new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(offset) })}`,
    )
    return { scores: answer.data.items, total: answer.data.total }
  }
  const answer = await api.request<Envelope<{ scores: Score[]; total: number }>>(
    `/api/search?${new URLSearchParams({ query: words, limit: String(PAGE_SIZE), offset: String(offset) })}`,
  )
  return { scores: answer.data.scores, total: answer.data.total }
}

export async function getScore(api: ScoresApi, id: string): Promise<Score> {
  return (await api.request<Envelope<Score>>(`/api/scores/${encodeURIComponent(id)}`)).data
}

/** The import's current state (does not count as a view). */
export async function importState(api: ScoresApi, id: string): Promise<Score> {
  return (await api.request<Envelope<Score>>(`/api/import/${encodeURIComponent(id)}`)).data
}

export function isSettled(status: ProcessingStatus): boolean {
  return status === 'completed' || status === 'failed'
}

export interface PollOptions {
  intervalMs?: number
  /** Stops polling early (the page was left). */
  signal?: AbortSignal
  sleep?: (ms: number) => Promise<void>
  onUpdate?: (score: Score) => void
}

/** Asks `GET /api/import/:id` until processing has finished or failed; resolves with the last state. */
export async function waitForProcessing(api: ScoresApi, id: string, options: PollOptions = {}): Promise<Score> {
  const { intervalMs = 1500, signal, onUpdate } = options
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  for (;;) {
    const score = await importState(api, id)
    onUpdate?.(score)
    if (isSettled(score.processingStatus) || signal?.aborted) return score
    await sleep(intervalMs)
    if (signal?.aborted) return score
  }
}

interface Imported {
  id: string
}

/** Whether a link is IMSLP's (imslp.org or a subdomain): a work page or one of its files. */
export function isImslpLink(url: string): boolean {
  try {
    const host = new URL(url.trim()).hostname.toLowerCase()
    return host === 'imslp.org' || host.endsWith('.imslp.org')
  } catch {
    return false
  }
}

/** Imports a PDF link; an IMSLP work page (or file) goes to the IMSLP import, which reads the page. */
export async function importFromUrl(api: ScoresApi, url: string): Promise<string> {
  const path = isImslpLink(url) ? '/api/import/imslp' : '/api/import'
  const answer = await api.request<Envelope<Imported>>(path, { method: 'POST', body: { url: url.trim() } })
  return answer.data.id
}

export async function importPdf(api: ScoresApi, file: File, title?: string): Promise<string> {
  const form = new FormData()
  form.append('file', file, file.name)
  if (title?.trim()) form.append('metadata', JSON.stringify({ title: title.trim() }))
  const answer = await api.request<Envelope<Imported>>('/api/import/pdf', { method: 'POST', form })
  return answer.data.id
}

function readAsDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(reader.result as string)
    reader.onerror = () => reject(reader.error ?? new Error('could not read the image'))
    reader.readAsDataURL(file)
  })
}

/** Photos or scans of pages, in order, as one score. */
export async function importImages(api: ScoresApi, files: File[], title?: string): Promise<string> {
  const images = await Promise.all(files.map(async (file) => ({ data: await readAsDataUrl(file) })))
  const answer = await api.request<Envelope<Imported>>('/api/import/images', {
    method: 'POST',
    body: { images, ...(title?.trim() ? { title: title.trim() } : {}) },
  })
  return answer.data.id
}

/** Thumbnails and PDFs of private scores need the session, so they come as blobs, not plain URLs. */
export function thumbnail(api: ScoresApi, id: string): Promise<Blob> {
  return api.requestBlob(`/api/pdf/v2/thumbnail/${encodeURIComponent(id)}`)
}

export function pdfFile(api: ScoresApi, id: string): Promise<Blob> {
  return api.requestBlob(`/api/scores/${encodeURIComponent(id)}/download/pdf`)
}

export function pageImage(api: ScoresApi, id: string, page: number): Promise<Blob> {
  return api.requestBlob(`/api/scores/${encodeURIComponent(id)}/pages/${page}`)
}

export async function collections(api: ScoresApi): Promise<Collection[]> {
  return (await api.request<Envelope<Collection[]>>('/api/user/collections')).data
}

export async function collectionScores(api: ScoresApi, id: string): Promise<Score[]> {
  const answer = await api.request<Envelope<{ scores: Score[] }>>(`/api/user/collections/${encodeURIComponent(id)}`)
  return answer.data.scores
}

export async function createCollection(api: ScoresApi, name: string): Promise<Collection> {
  return (await api.request<Envelope<Collection>>('/api/user/collections', { method: 'POST', body: { name: name.trim() } })).data
}

export async function setInCollection(api: ScoresApi, collectionId: string, scoreId: string, member: boolean): Promise<void> {
  const base = `/api/user/collections/${encodeURIComponent(collectionId)}/scores`
  if (member) await api.request(base, { method: 'POST', body: { scoreId } })
  else await api.request(`${base}/${encodeURIComponent(scoreId)}`, { method: 'DELETE' })
}

export async function favoriteScores(api: ScoresApi): Promise<Score[]> {
  const answer = await api.request<{ data: { score: Score }[] }>('/api/user/favorites')
  return answer.data.map((favorite) => favorite.score)
}

export async function isFavorite(api: ScoresApi, scoreId: string): Promise<boolean> {
  const answer = await api.request<{ data: { isFavorited: boolean } }>(`/api/user/favorites/check/${encodeURIComponent(scoreId)}`)
  return answer.data.isFavorited
}

/** Adds or removes the favourite; resolves with the new state. */
export async function setFavorite(api: ScoresApi, scoreId: string, favorite: boolean): Promise<boolean> {
  await api.request(`/api/user/favorites/${encodeURIComponent(scoreId)}`, { method: favorite ? 'POST' : 'DELETE' })
  return favorite
}
