import type { ClientFrame } from '../generated/ClientFrame'
import type { ServerFrame } from '../generated/ServerFrame'
import type { JsonValue } from '../generated/serde_json/JsonValue'
import type { ApiClient } from './api'
import { LIST_OF, PULLED_TYPES, isTombstone, type EntityType } from './documents'
import type { OutboxItem } from './db'
import type { LocalStore, RemoteDocument } from './store'

export type SyncState = 'local' | 'offline' | 'syncing' | 'synced'

export type { ServerFrame }

interface PullAnswer {
  syncToken: string
  lastSeq: number
  hasMore: boolean
  [list: string]: unknown
}

interface PushAnswer {
  lastSeq: number
  conflicts: { entityId: string; entityType: EntityType; current: Record<string, unknown> | null }[]
}

export interface SyncOptions {
  store: LocalStore
  api: ApiClient
  /** `ws(s)://…/sync/ws` from `/config.json`. */
  syncUrl: string
  userId: string
  accessToken: () => string | null
  /** Swappable for tests. */
  createSocket?: (url: string, protocols: string[]) => WebSocket
}

/** Types whose writes can travel as socket mutation frames; the rest go through REST push. */
const SOCKET_TYPES: ReadonlySet<EntityType> = new Set(['logbook_entry', 'repertoire_item'])
const PUSH_BATCH = 500
const RETRY_MS = 5000
const KEEPALIVE_MS = 30_000

/** The subprotocol the sync worker answers with; the token travels as a second one. */
export const SYNC_PROTOCOL = 'mirubato-sync'
/** The close code of a socket whose session was revoked or whose token expired. */
export const SESSION_CLOSE = 4401
/** Renew the access token when it has less than this left (clock skew included). */
const EXPIRY_MARGIN_MS = 30_000

/**
 * Where and how to open the sync socket. The access token goes in `Sec-WebSocket-Protocol`
 * (`bearer.<token>`, next to `mirubato-sync`), never in the URL, where proxies and logs keep it.
 */
export function socketRequest(syncUrl: string, userId: string, deviceId: string, accessToken: string): { url: string; protocols: string[] } {
  const url = new URL(syncUrl)
  url.searchParams.delete('token')
  url.searchParams.set('userId', userId)
  if (deviceId) url.searchParams.set('deviceId', deviceId)
  return { url: url.toString(), protocols: [SYNC_PROTOCOL, `bearer.${accessToken}`] }
}

/** When a JWT access token expires (ms since the epoch), or `null` when it does not say. */
export function tokenExpiry(token: string): number | null {
  try {
    const payload = token.split('.')[1]
    if (!payload) return null
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='))
    const exp = (JSON.parse(json) as { exp?: unknown }).exp
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null
  } catch {
    return null
  }
}

/** Whether a token has run out (or nearly): renew it before opening a socket with it. */
export function tokenExpired(token: string, nowMs: number): boolean {
  const expiry = tokenExpiry(token)
  return expiry !== null && expiry - EXPIRY_MARGIN_MS <= nowMs
}

/** What a server `ERROR` frame asks of the client. */
export type ErrorAction =
  /** The token ran out: renew it when the socket closes, then reconnect. */
  | { kind: 'renew' }
  /** Too many frames: the frame was not applied; send nothing for `ms`, then send it again. */
  | { kind: 'wait'; ms: number; entityId: string | null }
  /** The write is invalid and will never be accepted: drop it from the outbox. */
  | { kind: 'drop'; entityId: string }
  /** The write failed for now (unavailable): send it again later. */
  | { kind: 'retry'; entityId: string }
  | { kind: 'none' }

const MAX_RATE_WAIT_MS = 10 * 60_000

export function errorAction(frame: Extract<ServerFrame, { type: 'ERROR' }>): ErrorAction {
  const entityId = typeof frame.entityId === 'string' ? frame.entityId : null
  switch (frame.code) {
    case 'TOKEN_EXPIRED':
      return { kind: 'renew' }
    case 'RATE_LIMITED': {
      // `retryAfter` (seconds) is not in the generated frame type: read it defensively.
      const seconds = Number((frame as { retryAfter?: unknown }).retryAfter)
      const ms = Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, MAX_RATE_WAIT_MS) : 1000
      return { kind: 'wait', ms, entityId }
    }
    case 'INVALID_DATA':
      return entityId ? { kind: 'drop', entityId } : { kind: 'none' }
    default:
      return entityId ? { kind: 'retry', entityId } : { kind: 'none' }
  }
}

/** What to do when the socket closed. */
export type CloseAction = { kind: 'renew'; delayMs: number } | { kind: 'reconnect'; delayMs: number }

/**
 * After a close: a revoked session or an expired token (code 4401, or a `TOKEN_EXPIRED` frame
 * just before) renews the token once and reconnects at once; if the new token is refused again
 * before the socket got going, the next renewal waits for the backoff. Too many sockets (1008)
 * waits a minute, for another device to leave. Anything else reconnects after the backoff.
 */
export function closeAction(close: { code: number; tokenExpired: boolean; renewedSinceWelcome: boolean; backoffMs: number }): CloseAction {
  if (close.code === SESSION_CLOSE || close.tokenExpired) {
    return { kind: 'renew', delayMs: close.renewedSinceWelcome ? close.backoffMs : 0 }
  }
  return { kind: 'reconnect', delayMs: close.code === 1008 ? 60_000 : close.backoffMs }
}

/** The mutation frame for a queued write (`null`: not a socket type). */
export function mutationFrame(item: OutboxItem): ClientFrame | null {
  const deletedAt = isTombstone(item.data) ? String(item.data.deletedAt) : null
  const document = item.data as { [key: string]: JsonValue }
  switch (item.type) {
    case 'logbook_entry':
      return deletedAt
        ? { type: 'ENTRY_DELETED', entryId: item.id, timestamp: deletedAt }
        : { type: 'ENTRY_UPDATED', entry: document }
    case 'repertoire_item':
      return deletedAt
        ? { type: 'PIECE_REMOVED', scoreId: item.id, timestamp: deletedAt }
        : { type: 'PIECE_UPDATED', piece: document }
    default:
      return null
  }
}

/** The documents a server frame carries (catch-up and live frames alike). */
export function documentsOfFrame(frame: ServerFrame): RemoteDocument[] {
  const docs = (type: EntityType, list: JsonValue[], seq: number): RemoteDocument[] =>
    list
      .filter((data): data is { [key: string]: JsonValue } => typeof data === 'object' && data !== null && !Array.isArray(data))
      .map((data) => ({ type, data, seq }))
  switch (frame.type) {
    case 'BULK_SYNC':
      return docs('logbook_entry', frame.entries, frame.lastSeq)
    case 'REPERTOIRE_BULK_SYNC':
      return docs('repertoire_item', frame.pieces, frame.lastSeq)
    case 'DOCUMENTS_SYNC':
      return PULLED_TYPES.includes(frame.entityType as EntityType)
        ? docs(frame.entityType as EntityType, frame.documents, frame.lastSeq)
        : []
    case 'ENTRY_UPDATED':
      return docs('logbook_entry', [frame.entry], frame.seq)
    case 'ENTRY_DELETED':
      // The frame carries no deletedAt; its seq orders it after the entry it deletes.
      return docs('logbook_entry', [{ id: frame.entryId, deletedAt: frame.timestamp }], frame.seq)
    case 'PIECE_UPDATED':
      return docs('repertoire_item', [frame.piece], frame.seq)
    case 'PIECE_REMOVED':
      return docs('repertoire_item', [{ id: frame.scoreId, deletedAt: frame.timestamp }], frame.seq)
    case 'PLAN_UPDATED':
      return docs('practice_plan', [frame.plan], frame.seq)
    case 'PLAN_OCCURRENCE_COMPLETED':
      return docs('plan_occurrence', [frame.occurrence], frame.seq)
    default:
      return []
  }
}

/**
 * Moves the outbox to the server and the server's changes to the device: REST push (with an
 * idempotency key, so a retried push is never applied twice) and pull from the cursor; the
 * socket for live changes both ways, catch-up after every reconnect, and the metronome frames.
 */
export class SyncEngine {
  private socket: WebSocket | null = null
  private socketOpen = false
  private stopped = false
  private backoffMs = 1000
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null
  private retryTimer: ReturnType<typeof setTimeout> | null = null
  private keepalive: ReturnType<typeof setInterval> | null = null
  private draining: Promise<void> | null = null
  /** Socket mutations awaiting their reply: entity id → outbox seq. */
  private inFlight = new Map<string, number>()
  private stateListeners = new Set<(state: SyncState) => void>()
  private frameListeners = new Set<(frame: ServerFrame) => void>()
  private currentState: SyncState = 'syncing'
  private deviceId = ''
  /** The server said the token expired: renew when the socket closes. */
  private tokenExpiredFrame = false
  /** A renewal happened and no socket has been welcomed since (a second 4401 waits). */
  private renewedSinceWelcome = false
  /** Rate limited: no mutation frames before this time (ms). */
  private quietUntil = 0
  private quietTimer: ReturnType<typeof setTimeout> | null = null
  /** A frame without an entity id was rate limited: send a catch-up request after the wait. */
  private catchUpAfterQuiet = false

  constructor(private readonly options: SyncOptions) {}

  get state(): SyncState {
    return this.currentState
  }

  /** Whether the socket is up (live changes and the ensemble metronome need it). */
  get live(): boolean {
    return this.socketOpen
  }

  async start(): Promise<void> {
    this.deviceId = await this.options.store.deviceId()
    // Stopped before it got going (the session ended, or React re-ran the effect).
    if (this.stopped) return
    window.addEventListener('online', this.onOnline)
    window.addEventListener('offline', this.onOffline)
    this.connect()
    await this.syncNow()
  }

  stop(): void {
    this.stopped = true
    window.removeEventListener('online', this.onOnline)
    window.removeEventListener('offline', this.onOffline)
    for (const timer of [this.reconnectTimer, this.retryTimer, this.quietTimer]) if (timer) clearTimeout(timer)
    if (this.keepalive) clearInterval(this.keepalive)
    this.socket?.close(1000, 'signed out')
    this.socket = null
  }

  onState(listener: (state: SyncState) => void): () => void {
    this.stateListeners.add(listener)
    listener(this.currentState)
    return () => this.stateListeners.delete(listener)
  }

  onFrame(listener: (frame: ServerFrame) => void): () => void {
    this.frameListeners.add(listener)
    return () => this.frameListeners.delete(listener)
  }

  /** Send a non-mutation frame (metronome, clock sync); false when the socket is not open. */
  send(frame: ClientFrame): boolean {
    if (!this.socket || !this.socketOpen) return false
    this.socket.send(JSON.stringify(frame))
    return true
  }

  /** A local write happened: move it now. */
  notify(): void {
    void this.drain()
  }

  /** Push the outbox, then pull what changed since the cursor. */
  async syncNow(): Promise<void> {
    if (!navigator.onLine) {
      this.setState('offline')
      return
    }
    await this.drain()
    try {
      await this.pull()
    } catch {
      this.setState(navigator.onLine ? 'syncing' : 'offline')
      this.scheduleRetry()
    }
  }

  /** The socket would die silently: close it now, and send nothing until back online. */
  private onOffline = () => {
    this.setSocketOpen(false)
    this.socket?.close(1000, 'offline')
    this.setState('offline')
  }

  private onOnline = () => {
    this.backoffMs = 1000
    if (!this.socketOpen) this.connect()
    void this.syncNow()
  }

  private setState(state: SyncState, force = false) {
    if (state === this.currentState && !force) return
    this.currentState = state
    for (const listener of this.stateListeners) listener(state)
  }

  private setSocketOpen(open: boolean) {
    this.socketOpen = open
    this.setState(this.currentState, true)
  }

  private drain(): Promise<void> {
    this.draining ??= this.drainOnce().finally(() => {
      this.draining = null
    })
    return this.draining
  }

  private async drainOnce(): Promise<void> {
    const { store } = this.options
    const pending = await store.pending(PUSH_BATCH)
    if (!navigator.onLine) {
      this.setState('offline')
      return
    }
    if (pending.length === 0) {
      this.setState('synced')
      return
    }
    this.setState('syncing')
    const overSocket = this.socketOpen ? pending.filter((item) => SOCKET_TYPES.has(item.type)) : []
    // Rate limited: the socket's writes stay in the outbox until the wait is over.
    const quiet = Date.now() < this.quietUntil
    for (const item of quiet ? [] : overSocket) {
      if (this.inFlight.get(item.id) === item.seq) continue
      const frame = mutationFrame(item)
      if (frame && this.send(frame)) this.inFlight.set(item.id, item.seq!)
    }
    const overRest = pending.filter((item) => !overSocket.includes(item))
    if (overRest.length === 0) return
    try {
      await this.push(overRest)
      this.setState('synced')
      if ((await store.pending(PUSH_BATCH)).some((item) => !this.inFlight.has(item.id))) void this.drain()
    } catch {
      this.setState(navigator.onLine ? 'syncing' : 'offline')
      this.scheduleRetry()
    }
  }

  private async push(items: OutboxItem[]): Promise<void> {
    const changes: Record<string, unknown[]> = {}
    for (const item of items) (changes[LIST_OF[item.type]] ??= []).push(item.data)
    // The same queued writes always make the same key: a push retried after a lost answer
    // replays the first answer instead of being applied twice.
    const key = `${this.deviceId}:${items[0].seq}-${items[items.length - 1].seq}:${items.length}`
    const answer = await this.options.api.request<PushAnswer>('/api/sync/push', {
      method: 'POST',
      body: { changes },
      headers: { 'X-Device-ID': this.deviceId, 'X-Idempotency-Key': key },
    })
    const { store } = this.options
    await store.acknowledge(items.map((item) => item.seq!))
    for (const conflict of answer.conflicts) {
      await store.acceptWinner(conflict.entityType, conflict.entityId, conflict.current)
    }
  }

  private async pull(): Promise<void> {
    const { store, api } = this.options
    let since = await store.cursor()
    for (;;) {
      const answer = await api.request<PullAnswer>('/api/sync/pull', { method: 'POST', body: { since } })
      const documents: RemoteDocument[] = []
      for (const type of PULLED_TYPES) {
        const list = answer[LIST_OF[type]]
        if (Array.isArray(list)) for (const data of list) documents.push({ type, data })
      }
      await store.applyRemote(documents)
      since = answer.lastSeq
      await store.setCursor(since)
      if (!answer.hasMore) break
    }
    if ((await store.pending(1)).length === 0) this.setState('synced')
  }

  private scheduleRetry() {
    if (this.stopped || this.retryTimer) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      void this.syncNow()
    }, RETRY_MS)
  }

  private connect() {
    void this.open()
  }

  private async open() {
    let token = this.options.accessToken()
    if (this.stopped || !token || this.socket || !navigator.onLine) return
    if (tokenExpired(token, Date.now())) {
      // A socket with a spent token is refused at the upgrade, which the browser cannot tell
      // from a network failure: renew first.
      const renewed = await this.options.api.renew()
      token = this.options.accessToken()
      if (renewed === 'ended' || !token) return
      if (renewed === 'failed') {
        this.scheduleReconnect(this.nextBackoff())
        return
      }
      if (this.stopped || this.socket) return
    }
    const { url, protocols } = socketRequest(this.options.syncUrl, this.options.userId, this.deviceId, token)
    const socket = (this.options.createSocket ?? ((u, p) => new WebSocket(u, p)))(url, protocols)
    this.socket = socket
    socket.onmessage = (event) => void this.onMessage(String(event.data))
    socket.onclose = (event) => {
      if (this.socket !== socket) return
      this.socket = null
      this.setSocketOpen(false)
      this.inFlight.clear()
      if (this.keepalive) clearInterval(this.keepalive)
      if (this.stopped) return
      const action = closeAction({
        code: event.code,
        tokenExpired: this.tokenExpiredFrame,
        renewedSinceWelcome: this.renewedSinceWelcome,
        backoffMs: this.backoffMs,
      })
      this.tokenExpiredFrame = false
      if (action.kind === 'renew') void this.renewAndReconnect(action.delayMs)
      else this.scheduleReconnect(action.delayMs + Math.random() * 500)
      this.nextBackoff()
    }
  }

  /** The backoff to use now; the next one doubles (up to 30 s). */
  private nextBackoff(): number {
    const wait = this.backoffMs
    this.backoffMs = Math.min(this.backoffMs * 2, 30_000)
    return wait
  }

  private scheduleReconnect(delayMs: number) {
    if (this.stopped || this.reconnectTimer) return
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null
      this.connect()
    }, delayMs)
  }

  /**
   * The session's socket was closed for its token: renew it (shared with any REST 401 at the
   * same moment) and reconnect with the new one. A refused renewal ends the session: the api
   * client forgets the tokens and the app stops this engine.
   */
  private async renewAndReconnect(delayMs: number) {
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
    if (this.stopped) return
    const renewed = await this.options.api.renew()
    if (this.stopped || renewed === 'ended') return
    if (renewed === 'renewed') {
      this.renewedSinceWelcome = true
      this.connect()
    } else this.scheduleReconnect(this.nextBackoff())
  }

  private async onMessage(text: string) {
    let frame: ServerFrame
    try {
      // Not JSON: the literal `pong` answer to a keepalive.
      frame = JSON.parse(text) as ServerFrame
    } catch {
      return
    }
    const { store } = this.options
    switch (frame.type) {
      case 'WELCOME':
        this.setSocketOpen(true)
        this.backoffMs = 1000
        this.renewedSinceWelcome = false
        this.keepalive = setInterval(() => this.send({ type: 'PING', timestamp: Date.now() }), KEEPALIVE_MS)
        this.send({ type: 'SYNC_REQUEST', lastSeq: await store.cursor() })
        void this.drain()
        break
      case 'SYNC_RESPONSE':
        if (typeof frame.entityId === 'string') {
          await this.settle(frame.entityId)
        } else {
          await store.setCursor(frame.lastSeq)
          if (frame.message === 'Sync complete') this.send({ type: 'SYNC_REQUEST', lastSeq: frame.lastSeq })
        }
        break
      case 'SYNC_CONFLICT': {
        this.inFlight.delete(frame.entityId)
        const current = frame.current
        const winner = typeof current === 'object' && current !== null && !Array.isArray(current) ? current : null
        await store.acceptWinner(frame.entityType as EntityType, frame.entityId, winner)
        void this.drain()
        break
      }
      case 'ERROR': {
        const action = errorAction(frame)
        switch (action.kind) {
          case 'renew':
            // The server closes the socket next (closing it here too, in case it does not);
            // the renewal runs on that close.
            this.tokenExpiredFrame = true
            this.socket?.close(1000, 'token expired')
            break
          case 'wait':
            // Not applied: the write stays in the outbox and is sent again after the wait.
            // Without an entity id, any write awaiting its reply may be the one refused.
            // Without an entity id the refused frame may also have been a catch-up request:
            // ask again after the wait (catch-up from the cursor is safe to repeat).
            if (action.entityId) this.inFlight.delete(action.entityId)
            else this.inFlight.clear()
            this.quietFor(action.ms, !action.entityId)
            break
          case 'drop':
            await this.settle(action.entityId)
            break
          case 'retry':
            this.inFlight.delete(action.entityId)
            this.scheduleRetry()
            break
        }
        break
      }
      default: {
        const documents = documentsOfFrame(frame)
        if (documents.length > 0) await store.applyRemote(documents)
        for (const listener of this.frameListeners) listener(frame)
      }
    }
  }

  /** Rate limited: hold the socket's writes for `ms`, then drain again (and catch up, if asked). */
  private quietFor(ms: number, catchUp: boolean) {
    this.quietUntil = Math.max(this.quietUntil, Date.now() + ms)
    this.catchUpAfterQuiet ||= catchUp
    if (this.quietTimer) clearTimeout(this.quietTimer)
    this.quietTimer = setTimeout(() => {
      this.quietTimer = null
      if (this.stopped) return
      if (this.catchUpAfterQuiet) {
        this.catchUpAfterQuiet = false
        void this.options.store.cursor().then((lastSeq) => this.send({ type: 'SYNC_REQUEST', lastSeq }))
      }
      void this.drain()
    }, this.quietUntil - Date.now())
  }

  /** A socket mutation got its final reply: drop exactly the write that was sent. */
  private async settle(entityId: string) {
    const seq = this.inFlight.get(entityId)
    this.inFlight.delete(entityId)
    if (seq !== undefined) await this.options.store.acknowledge([seq])
    if ((await this.options.store.pending(1)).length === 0) this.setState('synced')
    else void this.drain()
  }
}
