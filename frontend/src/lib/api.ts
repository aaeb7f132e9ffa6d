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

/**
 * JSON calls to the api worker. Sends the bearer token; on a 401 it refreshes once
 * (rotation: the new pair replaces the old) and retries, and ends the session when that fails.
 */
export class ApiClient {
  private refreshing: Promise<boolean> | null = null
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

  private async authorized(path: string, options: RequestOptions): Promise<Response> {
    const response = await this.send(path, options)
    if (response.status === 401 && options.auth !== false && this.store.tokens()) {
      if (await this.sessionAuthority.refresh()) return this.send(path, options)
      this.store.expire()
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

  /** One refresh at a time: concurrent 401s share it. */
  private refresh(): Promise<boolean> {
    this.refreshing ??= (async () => {
      const tokens = this.store.tokens()
      if (!tokens) return false
      try {
        const response = await this.send('/api/auth/refresh', {
          method: 'POST',
          body: { refreshToken: tokens.refreshToken },
          auth: false,
        })
        if (!response.ok) return false
        const next = (await response.json()) as Tokens
        this.store.setTokens({ accessToken: next.accessToken, refreshToken: next.refreshToken })
        return true
      } catch {
        return false
      }
    })().finally(() => {
      this.refreshing = null
    })
    return this.refreshing
  }
}
