import { createContext, use, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from 'react'
import { useLiveQuery } from 'dexie-react-hooks'
import { useConfig } from './config-context'
import { I18nContext, LANGUAGES, format, loadMessages, matchLanguage, type Language, type Messages } from './i18n'
import { en } from './i18n/en'
import type { Theme } from './generated/Theme'
import { ApiClient } from './lib/api'
import type { Doc, EntityType } from './lib/documents'
import { endAllSessions } from './lib/devices'
import { RecordingUploader } from './lib/recordings'
import { SessionStore, type Session } from './lib/session'
import { LocalStore } from './lib/store'
import { SyncEngine, type SyncState } from './lib/sync'

export type { Theme }

export interface LocalPreferences {
  theme: Theme
  language: Language
  /** When they last changed here, ms: an older synced copy does not override them. */
  changedAt?: number
}

const PREFS_KEY = 'mirubato.preferences'
/** How long sign-out waits for the server before clearing the tokens anyway. */
const LOGOUT_WAIT_MS = 5000

function readPreferences(): LocalPreferences {
  try {
    const stored = JSON.parse(localStorage.getItem(PREFS_KEY) ?? '{}') as Partial<LocalPreferences>
    return {
      theme: stored.theme === 'dark' || stored.theme === 'light' ? stored.theme : 'auto',
      language: stored.language ?? matchLanguage(navigator.language),
      changedAt: typeof stored.changedAt === 'number' ? stored.changedAt : 0,
    }
  } catch {
    return { theme: 'auto', language: matchLanguage(navigator.language) }
  }
}

export interface Services {
  api: ApiClient
  /** The scores worker, with the same session as `api`. */
  scores: ApiClient
  sessions: SessionStore
  store: LocalStore
  /** Present while signed in. */
  engine: SyncEngine | null
  /** Moves recordings made on this device to the server; present while signed in. */
  uploader: RecordingUploader | null
  /** Start a session (after sign-in): local-only data is then pushed into the account. */
  signIn: (session: Session) => void
  /**
   * End the session and forget the account's data on this device. The tokens are cleared here
   * even when the server cannot be told. With `everywhere`, every session of the account ends
   * (`POST /api/auth/logout-all`); with `deleteAccount` the account is deleted
   * (`DELETE /api/user/me`, which ends every session too). If the server refuses either, it
   * throws and the device stays signed in (unless the server had already ended the session).
   */
  signOut: (options?: { everywhere?: boolean; deleteAccount?: boolean }) => Promise<void>
  preferences: LocalPreferences
  setPreferences: (next: Partial<LocalPreferences>) => void
}

export const ServicesContext = createContext<Services | null>(null)

function applyTheme(theme: Theme) {
  const dark = theme === 'dark' || (theme === 'auto' && matchMedia('(prefers-color-scheme: dark)').matches)
  document.documentElement.classList.toggle('dark', dark)
}

export function ServicesProvider({ children }: { children: ReactNode }) {
  const config = useConfig()
  const base = useMemo(() => {
    const sessions = new SessionStore(localStorage)
    const api = new ApiClient(config.apiUrl, sessions)
    return { sessions, store: new LocalStore(), api, scores: api.forService(config.scoresUrl) }
  }, [config.apiUrl, config.scoresUrl])
  const session = useSyncExternalStore(
    (listener) => base.sessions.subscribe(listener),
    () => base.sessions.session(),
    () => base.sessions.session(),
  )
  const [engine, setEngine] = useState<SyncEngine | null>(null)
  const [uploader, setUploader] = useState<RecordingUploader | null>(null)
  /** Bumped to start a new engine after one was stopped for a sign-out that did not happen. */
  const [engineRun, setEngineRun] = useState(0)
  const userId = session?.user.id ?? null

  useEffect(() => {
    if (!userId) return
    const next = new SyncEngine({
      store: base.store,
      api: base.api,
      syncUrl: config.syncUrl,
      userId,
      accessToken: () => base.sessions.tokens()?.accessToken ?? null,
    })
    const audio = new RecordingUploader(base.store, base.api)
    const upload = () => void audio.drain()
    setEngine(next)
    setUploader(audio)
    void base.store.claim(userId).then(async () => {
      await next.start()
      upload()
    })
    window.addEventListener('online', upload)
    return () => {
      next.stop()
      window.removeEventListener('online', upload)
      setEngine(null)
      setUploader(null)
    }
  }, [userId, base, config.syncUrl, engineRun])

  const [preferences, setPrefsState] = useState(readPreferences)

  // Preferences are a synced document: a change made on another device applies here too.
  // (The toolbox keeps its presets in a `user_preferences` document of its own, id `toolbox`.)
  const synced = useLiveQuery(() => base.store.list('user_preferences'), [base.store])?.find((doc) => doc.id !== 'toolbox')
  // Only a new version of the document applies, not every re-read of the store.
  const syncedStamp = synced ? `${String(synced.updatedAt)}:${String(synced.version)}` : null
  const latestSynced = useRef(synced)
  latestSynced.current = synced
  useEffect(() => {
    const synced = latestSynced.current
    if (!syncedStamp || !synced) return
    const next: Partial<LocalPreferences> = {}
    if (synced.theme === 'light' || synced.theme === 'dark' || synced.theme === 'auto') next.theme = synced.theme
    if (typeof synced.language === 'string' && (LANGUAGES as readonly string[]).includes(synced.language)) {
      next.language = synced.language as Language
    }
    const stamp = Date.parse(String(synced.updatedAt))
    setPrefsState((current) => {
      // A copy older than this device's own last choice (an echo still on its way) never undoes it.
      if (!(stamp > (current.changedAt ?? 0))) return current
      const merged = { ...current, ...next, changedAt: stamp }
      localStorage.setItem(PREFS_KEY, JSON.stringify(merged))
      return merged.theme === current.theme && merged.language === current.language ? current : merged
    })
  }, [syncedStamp])
  const [messages, setMessages] = useState<Messages>(en)
  useEffect(() => {
    applyTheme(preferences.theme)
    document.documentElement.lang = preferences.language
    let live = true
    void loadMessages(preferences.language).then((loaded) => live && setMessages(loaded))
    return () => {
      live = false
    }
  }, [preferences])
  // On "auto", the theme follows the system's as it changes (evening dark mode, say).
  useEffect(() => {
    if (preferences.theme !== 'auto') return
    const media = matchMedia('(prefers-color-scheme: dark)')
    const follow = () => applyTheme('auto')
    media.addEventListener('change', follow)
    return () => media.removeEventListener('change', follow)
  }, [preferences.theme])

  const services: Services = useMemo(
    () => ({
      ...base,
      engine,
      uploader,
      signIn: (next) => base.sessions.set(next),
      signOut: async ({ everywhere = false, deleteAccount = false } = {}) => {
        // First stop the engine: its socket would hear of the revocation and try to renew.
        engine?.stop()
        if (everywhere || deleteAccount) {
          try {
            if (deleteAccount) await base.api.request('/api/user/me', { method: 'DELETE' })
            else await endAllSessions(base.api)
          } catch (err) {
            // Refused or unreachable: still signed in, so sync goes on. If the server had
            // already ended this session, the tokens are gone and the data stays, as for any
            // ended session; either way nothing was done, and the caller says so.
            if (base.sessions.session()) setEngineRun((run) => run + 1)
            throw err
          }
        } else {
          try {
            await Promise.race([
              base.api.logout(),
              new Promise<void>((resolve) => setTimeout(resolve, LOGOUT_WAIT_MS)),
            ])
          } catch {
            // Offline or refused: the tokens are forgotten here all the same.
          }
        }
        base.sessions.set(null)
        await base.store.clear()
      },
      preferences,
      setPreferences: (next) =>
        setPrefsState((current) => {
          const merged = { ...current, ...next, changedAt: Date.now() }
          localStorage.setItem(PREFS_KEY, JSON.stringify(merged))
          return merged
        }),
    }),
    [base, engine, uploader, preferences],
  )

  const i18n = useMemo(
    () => ({
      language: preferences.language,
      t: (key: keyof Messages, params?: Record<string, string | number>) => format(messages[key] ?? en[key] ?? key, params),
      setLanguage: (language: Language) => services.setPreferences({ language }),
    }),
    [messages, preferences.language, services],
  )

  return (
    <ServicesContext value={services}>
      <I18nContext value={i18n}>{children}</I18nContext>
    </ServicesContext>
  )
}

export function useServices(): Services {
  const services = use(ServicesContext)
  if (!services) throw new Error('useServices() used outside <ServicesProvider>')
  return services
}

export function useSession(): Session | null {
  const { sessions } = useServices()
  return useSyncExternalStore(
    (listener) => sessions.subscribe(listener),
    () => sessions.session(),
    () => sessions.session(),
  )
}

/** Live documents of a type; `undefined` while the first read runs. */
export function useDocuments(type: EntityType): Doc[] | undefined {
  const { store } = useServices()
  return useLiveQuery(() => store.list(type), [store, type])
}

export function usePendingCount(): number {
  const { store } = useServices()
  return useLiveQuery(() => store.db.outbox.count(), [store]) ?? 0
}

export function useSyncState(): { state: SyncState; live: boolean } {
  const { engine } = useServices()
  const [status, setStatus] = useState<{ state: SyncState; live: boolean }>({ state: 'local', live: false })
  useEffect(() => {
    if (!engine) {
      setStatus({ state: 'local', live: false })
      return
    }
    return engine.onState((state) => setStatus({ state, live: engine.live }))
  }, [engine])
  return status
}

/** Save a document locally and tell the engine to move it. */
export function useSave() {
  const { store, engine } = useServices()
  return {
    save: async (type: EntityType, doc: Doc) => {
      const saved = await store.save(type, doc)
      engine?.notify()
      return saved
    },
    remove: async (type: EntityType, id: string) => {
      await store.remove(type, id)
      engine?.notify()
    },
  }
}
