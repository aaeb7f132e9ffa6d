import type { FetchLike } from '../config'

/** The common error envelope every worker answers with. */
export class ApiRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message)
    this.name = 'ApiRequestError'
  }
}

export interface Tokens {
  accessToken: string
  refreshToken: string
}

/** Where the client keeps its tokens; the app's session store implements it. */
export interface TokenStore {
  tokens(): Tokens | null
  setTokens(tokens: Tokens): void
  /** The refresh token is spent or revoked: the session is over. */
  expire(): void
}

export interface RequestOptions {
  method?: string
  body?: unknown
  /** Sent as is instead of a JSON `body` (audio uploads); set its `content-type` in `headers`. */
  rawBody?: Blob
  /** A multipart form (file imports); the browser sets its `content-type` with the boundary. */
  form?: FormData
  headers?: Record<string, string>
  /** Send the access token (default true). */
  auth?: boolean
}

/** How a refresh went: a new pair is stored, the session is over (401), or it could not be tried. */
export type RenewResult = 'renewed' | 'ended' | 'failed'

/**
 * JSON calls to the api worker. Sends the bearer token; on a 401 it refreshes once
 * (rotation: the new pair replaces the old) and retries, and ends the session when the
 * refresh itself is refused.
 */
export class ApiClient {
  private refreshing: Promise<RenewResult> | null = null
  /** Whose `/api/auth/refresh` renews the session: this client, or the api client it was made from. */
  private sessionAuthority: ApiClient = this

  constructor(
    private readonly baseUrl: string,
    private readonly store: TokenStore,
    private readonly fetchImpl: FetchLike = (input, init) => fetch(input, init),
  ) {}

  /** A client for another worker (scores) with the same session, renewed through this one. */
  forService(baseUrl: string): ApiClient {
    const client = new ApiClient(baseUrl, this.store, this.fetchImpl)
    client.sessionAuthority = this
    return client
  }

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.parse<T>(await this.authorized(path, options))
  }

  /** A binary answer (recorded audio, score files); errors come as `ApiRequestError` like JSON calls. */
  async requestBlob(path: string, options: RequestOptions = {}): Promise<Blob> {
    const response = await this.authorized(path, options)
    if (!response.ok) return this.parse<never>(response)
    return response.blob()
  }

  /**
   * End the session on the server (`POST /api/auth/logout`, with the refresh token held). An
   * expired access token is renewed first, and the retry carries the new refresh token: an
   * already rotated one must never be sent again.
   */
  async logout(): Promise<void> {
    if (!this.store.tokens()) return
    const send = () => {
      const refreshToken = this.store.tokens()?.refreshToken
      return this.send('/api/auth/logout', { method: 'POST', body: refreshToken ? { refreshToken } : {} })
    }
    let response = await send()
    if (response.status === 401 && (await this.sessionAuthority.renew()) === 'renewed') response = await send()
    if (!response.ok) await this.parse<never>(response)
  }

  private async authorized(path: string, options: RequestOptions): Promise<Response> {
    const sentWith = this.store.tokens()?.accessToken
    const response = await this.send(path, options)
    if (response.status === 401 && options.auth !== false && sentWith) {
      // Another call renewed the pair while this one was out: just send it again.
      const now = this.store.tokens()?.accessToken
      if (now && now !== sentWith) return this.send(path, options)
      if ((await this.sessionAuthority.renew()) === 'renewed') return this.send(path, options)
    }
    return response
  }

  private send(path: string, { method = 'GET', body, rawBody, form, headers = {}, auth = true }: RequestOptions) {
    const all: Record<string, string> = { accept: 'application/json', ...headers }
    if (body !== undefined) all['content-type'] = 'application/json'
    const tokens = this.store.tokens()
    if (auth && tokens) all.authorization = `Bearer ${tokens.accessToken}`
    return this.fetchImpl(`${this.baseUrl.replace(/\/+$/, '')}${path}`, {
      method,
      headers: all,
      body: rawBody ?? form ?? (body === undefined ? undefined : JSON.stringify(body)),
    })
  }

  private async parse<T>(response: Response): Promise<T> {
    let json: unknown = null
    try {
      json = await response.json()
    } catch {
      // A body that is not JSON is reported below by status.
    }
    if (!response.ok) {
      const envelope = (json ?? {}) as { error?: unknown; code?: unknown }
      throw new ApiRequestError(
        typeof envelope.error === 'string' ? envelope.error : `HTTP ${response.status}`,
        response.status,
        typeof envelope.code === 'string' ? envelope.code : 'HTTP_ERROR',
      )
    }
    return json as T
  }

  /**
   * Renew the pair with the refresh token. Single-flight: every caller (401s of any client made
   * with `forService`, the sync socket) shares one refresh, because presenting a refresh token
   * that was already rotated revokes the whole session. A refused refresh (401) ends the
   * session: the store forgets the tokens. A network failure or another status leaves the
   * session as it is, for a later try.
   */
  renew(): Promise<RenewResult> {
    if (this.sessionAuthority !== this) return this.sessionAuthority.renew()
    this.refreshing ??= (async (): Promise<RenewResult> => {
      const tokens = this.store.tokens()
      if (!tokens) return 'ended'
      // The answer only applies to the session it was asked for (not one signed in meanwhile).
      const stillCurrent = () => this.store.tokens()?.refreshToken === tokens.refreshToken
      let response: Response
      try {
        response = await this.send('/api/auth/refresh', {
          method: 'POST',
          body: { refreshToken: tokens.refreshToken },
          auth: false,
        })
      } catch {
        return 'failed'
      }
      if (response.status === 401) {
        if (!stillCurrent()) return this.store.tokens() ? 'renewed' : 'ended'
        this.store.expire()
        return 'ended'
      }
      if (!response.ok) return 'failed'
      try {
        const next = (await response.json()) as Partial<Tokens>
        if (typeof next.accessToken !== 'string' || typeof next.refreshToken !== 'string') return 'failed'
        if (!stillCurrent()) return this.store.tokens() ? 'renewed' : 'ended'
        this.store.setTokens({ accessToken: next.accessToken, refreshToken: next.refreshToken })
        return 'renewed'
      } catch {
        return 'failed'
      }
    })().finally(() => {
      this.refreshing = null
    })
    return this.refreshing
  }
}
