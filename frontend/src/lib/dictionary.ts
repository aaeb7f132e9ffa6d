import { ApiRequestError } from './api'
import type { FetchLike } from '../config'

/** The parts of a dictionary entry the app shows. */
export interface DictionaryEntry {
  id: string
  term: string
  lang: string
  type: string
  definition: { concise: string; detailed?: string; etymology?: string; pronunciation?: string; usage_example?: string }
}

export interface TermSummary {
  id: string
  term: string
  display_term: string
  type: string
  concise: string
}

export interface TermView {
  entry: DictionaryEntry
  display_term: string
  fallback: boolean
  related_terms: TermSummary[]
}

export type SearchResult = DictionaryEntry & { display_term: string }

/** A lookup that found nothing: the dictionary's suggestions of near names. */
export class TermNotFound extends Error {
  constructor(readonly suggestions: string[]) {
    super('Term not found')
    this.name = 'TermNotFound'
  }
}

/** Calls to the dictionary worker (public, no session), in the UI language. */
export class DictionaryClient {
  constructor(
    private readonly baseUrl: string,
    private readonly fetchImpl: FetchLike = (input, init) => fetch(input, init),
  ) {}

  async search(query: string, lang: string, limit = 8): Promise<SearchResult[]> {
    const params = new URLSearchParams({ q: query, lang, limit: String(limit) })
    const body = await this.get<{ data: { results: SearchResult[] } }>(`/api/v1/search?${params}`)
    return body.data.results
  }

  async term(term: string, lang: string): Promise<TermView> {
    const params = new URLSearchParams({ lang })
    return (await this.get<{ data: TermView }>(`/api/v1/terms/${encodeURIComponent(term)}?${params}`)).data
  }

  private async get<T>(path: string): Promise<T> {
    const response = await this.fetchImpl(`${this.baseUrl.replace(/\/+$/, '')}${path}`, { headers: { accept: 'application/json' } })
    const body = (await response.json().catch(() => null)) as
      | (T & { error?: string; code?: string; details?: { suggestions?: unknown } })
      | null
    if (response.ok && body) return body
    if (response.status === 404 && Array.isArray(body?.details?.suggestions)) {
      throw new TermNotFound(body.details.suggestions.filter((s): s is string => typeof s === 'string'))
    }
    throw new ApiRequestError(body?.error ?? `HTTP ${response.status}`, response.status, body?.code ?? 'HTTP_ERROR')
  }
}
