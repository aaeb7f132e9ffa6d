import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiClient, type TokenStore, type Tokens } from './api'
import { LocalDatabase } from './db'
import { LocalStore } from './store'
import { SyncEngine, closeAction, errorAction, socketRequest, tokenExpired, tokenExpiry } from './sync'

function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.signature`
}

const error = (code: string, extra: Record<string, unknown> = {}) => ({
  type: 'ERROR' as const,
  code,
  message: code,
  error: code,
  timestamp: '2026-03-01T10:00:00.000Z',
  ...extra,
})

describe('socketRequest', () => {
  it('keeps the token out of the URL and sends it as a subprotocol next to mirubato-sync', () => {
    const { url, protocols } = socketRequest('ws://localhost:8787/sync/ws', 'u_1', 'web_abc', 'eyJ.token.sig')
    const parsed = new URL(url)
    expect(parsed.pathname).toBe('/sync/ws')
    expect(parsed.searchParams.get('userId')).toBe('u_1')
    expect(parsed.searchParams.get('deviceId')).toBe('web_abc')
    expect(parsed.searchParams.has('token')).toBe(false)
    expect(url).not.toContain('eyJ.token.sig')
    expect(protocols).toEqual(['mirubato-sync', 'bearer.eyJ.token.sig'])
  })

  it('drops a token a configured URL might carry', () => {
    const { url } = socketRequest('wss://sync.test/sync/ws?token=leak', 'u', '', 't')
    expect(new URL(url).searchParams.has('token')).toBe(false)
    expect(new URL(url).searchParams.has('deviceId')).toBe(false)
  })
})

describe('token expiry', () => {
  it('reads exp from a JWT and counts a token about to run out as expired', () => {
    const token = jwt({ sub: 'u', exp: 1_800_000_000 })
    expect(tokenExpiry(token)).toBe(1_800_000_000_000)
    expect(tokenExpired(token, 1_800_000_000_000 - 60_000)).toBe(false)
    expect(tokenExpired(token, 1_800_000_000_000 - 10_000)).toBe(true)
    expect(tokenExpired(token, 1_800_000_100_000)).toBe(true)
  })

  it('leaves a token without a readable exp to the server', () => {
    expect(tokenExpiry('not-a-jwt')).toBeNull()
    expect(tokenExpiry(jwt({ sub: 'u' }))).toBeNull()
    expect(tokenExpired('a.%%%.c', Date.now())).toBe(false)
  })
})

describe('errorAction', () => {
  it('renews on TOKEN_EXPIRED, waits retryAfter on RATE_LIMITED, drops invalid data, retries the rest', () => {
    expect(errorAction(error('TOKEN_EXPIRED'))).toEqual({ kind: 'renew' })
    expect(errorAction(error('RATE_LIMITED', { retryAfter: 3, entityId: 'e1' }))).toEqual({ kind: 'wait', ms: 3000, entityId: 'e1' })
    expect(errorAction(error('RATE_LIMITED', { retryAfter: 2 }))).toEqual({ kind: 'wait', ms: 2000, entityId: null })
    // A missing or silly retryAfter still waits a second; a huge one is capped.
    expect(errorAction(error('RATE_LIMITED', { retryAfter: 'soon' }))).toEqual({ kind: 'wait', ms: 1000, entityId: null })
    expect(errorAction(error('RATE_LIMITED', { retryAfter: 86_400 }))).toMatchObject({ ms: 600_000 })
    expect(errorAction(error('INVALID_DATA', { entityId: 'e2' }))).toEqual({ kind: 'drop', entityId: 'e2' })
    expect(errorAction(error('UNAVAILABLE', { entityId: 'e3' }))).toEqual({ kind: 'retry', entityId: 'e3' })
    expect(errorAction(error('INVALID_EVENT'))).toEqual({ kind: 'none' })
  })
})

describe('closeAction', () => {
  const base = { code: 1006, tokenExpired: false, renewedSinceWelcome: false, backoffMs: 4000 }
  it('renews at once on 4401 or after a TOKEN_EXPIRED frame', () => {
    expect(closeAction({ ...base, code: 4401 })).toEqual({ kind: 'renew', delayMs: 0 })
    expect(closeAction({ ...base, code: 1005, tokenExpired: true })).toEqual({ kind: 'renew', delayMs: 0 })
  })
  it('backs off before renewing again when the last renewal did not get a socket going', () => {
    expect(closeAction({ ...base, code: 4401, renewedSinceWelcome: true })).toEqual({ kind: 'renew', delayMs: 4000 })
  })
  it('reconnects after the backoff otherwise, and after a minute when there are too many sockets', () => {
    expect(closeAction(base)).toEqual({ kind: 'reconnect', delayMs: 4000 })
    expect(closeAction({ ...base, code: 4000 })).toEqual({ kind: 'reconnect', delayMs: 4000 })
    expect(closeAction({ ...base, code: 1008 })).toEqual({ kind: 'reconnect', delayMs: 60_000 })
  })
})

class FakeSocket {
  sent: string[] = []
  closed: { code?: number; reason?: string } | null = null
  onmessage: ((event: { data: string }) => void) | null = null
  onclose: ((event: { code: number; reason: string }) => void) | null = null
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}
  send(data: string) {
    this.sent.push(data)
  }
  close(code?: number, reason?: string) {
    this.closed = { code, reason }
  }
  receive(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) })
  }
  serverClose(code: number, reason: string) {
    this.onclose?.({ code, reason })
  }
  frames(): { type: string }[] {
    return this.sent.map((text) => JSON.parse(text) as { type: string })
  }
}

describe('SyncEngine socket', () => {
  let store: LocalStore
  let sockets: FakeSocket[]
  let refreshAnswers: Response[]
  let refreshBodies: unknown[]
  let tokens: Tokens | null
  let expired: boolean
  let n = 0

  beforeEach(() => {
    vi.stubGlobal('navigator', { onLine: true })
    vi.stubGlobal('window', new EventTarget())
    n += 1
    store = new LocalStore(new LocalDatabase(`socket-test-${n}`))
    sockets = []
    refreshAnswers = []
    refreshBodies = []
    tokens = { accessToken: 'a1', refreshToken: 'r1' }
    expired = false
  })
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })

  function engine() {
    const tokenStore: TokenStore = {
      tokens: () => tokens,
      setTokens: (next) => void (tokens = next),
      expire: () => {
        tokens = null
        expired = true
      },
    }
    const api = new ApiClient('http://api', tokenStore, async (url, init) => {
      if (url.endsWith('/api/auth/refresh')) {
        refreshBodies.push(JSON.parse(String(init?.body)))
        return refreshAnswers.shift() ?? Response.json({}, { status: 500 })
      }
      if (url.endsWith('/api/sync/push')) return Response.json({ lastSeq: 1, conflicts: [] })
      return Response.json({ lastSeq: 0, syncToken: 'seq_0', hasMore: false })
    })
    return new SyncEngine({
      store,
      api,
      syncUrl: 'ws://sync/sync/ws',
      userId: 'u1',
      accessToken: () => tokens?.accessToken ?? null,
      createSocket: (url, protocols) => {
        const socket = new FakeSocket(url, protocols)
        sockets.push(socket)
        return socket as unknown as WebSocket
      },
    })
  }

  /** Let the engine's promise chains run (IndexedDB included). */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 30))

  it('opens with the token as a subprotocol, then on 4401 refreshes once and reconnects with the new token', async () => {
    const sync = engine()
    await sync.start()
    expect(sockets).toHaveLength(1)
    // The token never travels in the URL (the random device id may contain any letters).
    expect([...new URL(sockets[0].url).searchParams.values()]).not.toContain('a1')
    expect(sockets[0].protocols).toEqual(['mirubato-sync', 'bearer.a1'])

    refreshAnswers.push(Response.json({ success: true, accessToken: 'a2', refreshToken: 'r2', expiresIn: 900 }))
    sockets[0].serverClose(4401, 'token expired')
    await vi.waitFor(() => expect(sockets).toHaveLength(2))
    expect(refreshBodies).toEqual([{ refreshToken: 'r1' }])
    expect(tokens).toEqual({ accessToken: 'a2', refreshToken: 'r2' })
    expect(sockets).toHaveLength(2)
    expect(sockets[1].protocols).toEqual(['mirubato-sync', 'bearer.a2'])
    sync.stop()
  })

  it('ends the session when the refresh after 4401 is refused, and keeps the outbox', async () => {
    const sync = engine()
    await sync.start()
    await store.save('logbook_entry', { id: 'e1', timestamp: 't', duration: 5, type: 'practice', instrument: 'piano' })
    refreshAnswers.push(Response.json({ success: false, error: 'Session ended', code: 'UNAUTHORIZED' }, { status: 401 }))
    sockets[0].serverClose(4401, 'session ended')
    await vi.waitFor(() => expect(expired).toBe(true))
    await settle()
    expect(tokens).toBeNull()
    expect(sockets).toHaveLength(1)
    expect(await store.pending()).toHaveLength(1)
    sync.stop()
  })

  it('after TOKEN_EXPIRED closes the socket and renews on the close', async () => {
    const sync = engine()
    await sync.start()
    sockets[0].receive({ type: 'WELCOME', message: 'hi', timestamp: 't' })
    await vi.waitFor(() => expect(sync.live).toBe(true))
    sockets[0].receive(error('TOKEN_EXPIRED'))
    await vi.waitFor(() => expect(sockets[0].closed).not.toBeNull())
    refreshAnswers.push(Response.json({ accessToken: 'a2', refreshToken: 'r2' }))
    // The server's close code after an expiry frame may be anything.
    sockets[0].serverClose(1000, '')
    await vi.waitFor(() => expect(sockets).toHaveLength(2))
    expect(refreshBodies).toEqual([{ refreshToken: 'r1' }])
    expect(sockets.at(-1)?.protocols).toEqual(['mirubato-sync', 'bearer.a2'])
    sync.stop()
  })

  it('renews an expired access token before opening the socket', async () => {
    tokens = { accessToken: jwt({ sub: 'u1', exp: Math.floor(Date.now() / 1000) - 60 }), refreshToken: 'r1' }
    refreshAnswers.push(Response.json({ accessToken: 'fresh', refreshToken: 'r2' }))
    const sync = engine()
    await sync.start()
    await vi.waitFor(() => expect(sockets).toHaveLength(1))
    expect(refreshBodies).toEqual([{ refreshToken: 'r1' }])
    expect(sockets[0].protocols).toEqual(['mirubato-sync', 'bearer.fresh'])
    sync.stop()
  })

  it('on RATE_LIMITED keeps the write in the outbox and sends it again after retryAfter', async () => {
    const sync = engine()
    await sync.start()
    sockets[0].receive({ type: 'WELCOME', message: 'hi', timestamp: 't' })
    await vi.waitFor(() => expect(sync.live).toBe(true))
    const socket = sockets[0]
    const updates = () => socket.frames().filter((frame) => frame.type === 'ENTRY_UPDATED').length
    await store.save('logbook_entry', { id: 'e1', timestamp: 't', duration: 5, type: 'practice', instrument: 'piano' })
    sync.notify()
    await vi.waitFor(() => expect(updates()).toBe(1))

    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    socket.receive(error('RATE_LIMITED', { retryAfter: 2, entityId: 'e1' }))
    await vi.advanceTimersByTimeAsync(10)
    // Nothing is sent during the wait, however often the engine is nudged.
    sync.notify()
    await vi.advanceTimersByTimeAsync(1500)
    expect(updates()).toBe(1)
    expect(await store.pending()).toHaveLength(1)

    await vi.advanceTimersByTimeAsync(600)
    vi.useRealTimers()
    await vi.waitFor(() => expect(updates()).toBe(2))
    // Its reply settles it.
    socket.receive({ type: 'SYNC_RESPONSE', message: 'ok', lastSeq: 3, entityId: 'e1', timestamp: 't' })
    await vi.waitFor(async () => expect(await store.pending()).toHaveLength(0))
    sync.stop()
  })

  it('on RATE_LIMITED without an entity id sends every unanswered write and a catch-up request again after the wait', async () => {
    const sync = engine()
    await sync.start()
    sockets[0].receive({ type: 'WELCOME', message: 'hi', timestamp: 't' })
    await vi.waitFor(() => expect(sync.live).toBe(true))
    const socket = sockets[0]
    const count = (type: string) => socket.frames().filter((frame) => frame.type === type).length
    await vi.waitFor(() => expect(count('SYNC_REQUEST')).toBe(1))
    await store.save('repertoire_item', { id: 'bach-prelude', scoreId: 'bach-prelude', status: 'learning' })
    sync.notify()
    await vi.waitFor(() => expect(count('PIECE_UPDATED')).toBe(1))

    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    socket.receive(error('RATE_LIMITED', { retryAfter: 1 }))
    await vi.advanceTimersByTimeAsync(900)
    expect([count('PIECE_UPDATED'), count('SYNC_REQUEST')]).toEqual([1, 1])
    await vi.advanceTimersByTimeAsync(200)
    vi.useRealTimers()
    await vi.waitFor(() => expect([count('PIECE_UPDATED'), count('SYNC_REQUEST')]).toEqual([2, 2]))
    sync.stop()
  })
})
