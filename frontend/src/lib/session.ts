import type { User } from '../generated/User'
import type { ApiClient, TokenStore, Tokens } from './api'

export interface Session extends Tokens {
  user: User
}

const STORAGE_KEY = 'mirubato.session'

/** Minimal storage surface (localStorage in the app, a map in tests). */
export interface KeyValueStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

/**
 * The signed-in session, kept across reloads. Signed out is local-only mode: the app works
 * the same, and the data stays on the device until the user signs in.
 */
export class SessionStore implements TokenStore {
  private listeners = new Set<() => void>()
  private current: Session | null
  private ended = false

  constructor(private readonly storage: KeyValueStorage) {
    this.current = SessionStore.read(storage)
  }

  private static read(storage: KeyValueStorage): Session | null {
    try {
      const parsed = JSON.parse(storage.getItem(STORAGE_KEY) ?? 'null') as Session | null
      return parsed?.accessToken && parsed.refreshToken && parsed.user?.id ? parsed : null
    } catch {
      return null
    }
  }

  session(): Session | null {
    return this.current
  }

  tokens(): Tokens | null {
    return this.current
  }

  setTokens(tokens: Tokens): void {
    if (this.current) this.set({ ...this.current, ...tokens })
  }

  /** Sign in (a session) or out (`null`). */
  set(session: Session | null): void {
    this.ended = false
    this.write(session)
  }

  /**
   * The server ended the session (its refresh was refused: signed out from another device,
   * or expired). The tokens go; the device's data stays, as when a session simply runs out.
   */
  expire(): void {
    if (!this.current) return
    this.ended = true
    this.write(null)
  }

  /** Whether the last session ended on the server's word rather than by signing out here. */
  get endedByServer(): boolean {
    return this.ended
  }

  private write(session: Session | null) {
    this.current = session
    if (session) this.storage.setItem(STORAGE_KEY, JSON.stringify(session))
    else this.storage.removeItem(STORAGE_KEY)
    for (const listener of this.listeners) listener()
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}

interface SignInAnswer extends Tokens {
  user: User
}

export async function requestMagicLink(api: ApiClient, email: string): Promise<void> {
  await api.request('/api/auth/request-magic-link', { method: 'POST', body: { email }, auth: false })
}

export async function verifyMagicLink(api: ApiClient, token: string): Promise<Session> {
  const answer = await api.request<SignInAnswer>('/api/auth/verify-magic-link', {
    method: 'POST',
    body: { token },
    auth: false,
  })
  return { user: answer.user, accessToken: answer.accessToken, refreshToken: answer.refreshToken }
}

export async function googleSignIn(api: ApiClient, credential: string): Promise<Session> {
  const answer = await api.request<SignInAnswer>('/api/auth/google', {
    method: 'POST',
    body: { credential },
    auth: false,
  })
  return { user: answer.user, accessToken: answer.accessToken, refreshToken: answer.refreshToken }
}
