import { useRef, useState, type FormEvent } from 'react'
import { Link } from 'react-router'
import { Page } from '../components/Page'
import { SessionList } from '../components/SessionList'
import { errorMessage } from '../config'
import type { User } from '../generated/User'
import type { UserPreferences } from '../generated/UserPreferences'
import { LANGUAGES, LANGUAGE_NAMES, useI18n, type Language } from '../i18n'
import { localDay } from '../lib/reports'
import { buildExport, parseExport } from '../lib/transfer'
import { useServices, useSession, type Theme } from '../services'

function download(name: string, content: string | Blob) {
  const blob = typeof content === 'string' ? new Blob([content], { type: 'application/json' }) : content
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = name
  link.click()
  URL.revokeObjectURL(url)
}

export default function Profile() {
  const { t } = useI18n()
  const services = useServices()
  const { api, store, engine, preferences, setPreferences, signOut } = services
  const session = useSession()
  const file = useRef<HTMLInputElement>(null)
  const [message, setMessage] = useState<string | null>(null)
  const [instrument, setInstrument] = useState(() => localStorage.getItem('mirubato.instrument') ?? '')
  const [displayName, setDisplayName] = useState(() => session?.user.displayName ?? '')
  const [nameMessage, setNameMessage] = useState<string | null>(null)

  /** Preferences are a synced document on the server; locally they apply at once. */
  async function updatePreferences(next: { theme?: Theme; language?: Language; primaryInstrument?: string }) {
    if (next.theme || next.language) setPreferences({ ...(next.theme && { theme: next.theme }), ...(next.language && { language: next.language }) })
    if (!session) return
    const body: UserPreferences = {
      theme: next.theme ?? preferences.theme,
      language: next.language ?? preferences.language,
      ...((next.primaryInstrument ?? instrument) ? { primaryInstrument: (next.primaryInstrument ?? instrument).slice(0, 50) } : {}),
    }
    try {
      await api.request('/api/user/preferences', { method: 'PUT', body })
    } catch {
      // Offline: the local choice stands and is sent with the next change.
    }
  }

  async function saveDisplayName(event: FormEvent) {
    event.preventDefault()
    if (!session) return
    try {
      const user = await api.request<User>('/api/user/me', { method: 'PATCH', body: { displayName: displayName.trim() } })
      services.sessions.set({ ...session, user: { ...session.user, displayName: user.displayName } })
      setNameMessage(t('profile.nameSaved'))
    } catch (err) {
      setNameMessage(t('profile.nameFailed', { reason: errorMessage(err) }))
    }
  }

  async function importFile(chosen: File) {
    try {
      const docs = parseExport(await chosen.text())
      for (const { type, doc } of docs) await store.save(type, doc)
      engine?.notify()
      setMessage(t('profile.imported', { count: docs.length }))
    } catch {
      setMessage(t('profile.importFailed'))
    }
  }

  /** The server's export: every document, score and recording of the account, as a ZIP. */
  async function downloadAll() {
    try {
      download(`mirubato-${localDay(new Date())}.zip`, await api.requestBlob('/api/user/export'))
    } catch (err) {
      setMessage(t('profile.downloadFailed', { reason: errorMessage(err) }))
    }
  }

  async function deleteAccount() {
    if (!confirm(t('profile.deleteConfirm'))) return
    try {
      await signOut({ deleteAccount: true })
      setMessage(t('profile.deleted'))
    } catch (err) {
      setMessage(t('profile.deleteFailed', { reason: errorMessage(err) }))
    }
  }

  return (
    <Page title={t('profile.title')}>
      <section className="card mt-6" aria-labelledby="account-title">
        <h2 id="account-title" className="font-semibold">
          {t('profile.account')}
        </h2>
        {session ? (
          <div className="mt-2 flex flex-wrap items-center gap-3">
            <p data-testid="signed-in-as">
              {session.user.displayName ? `${session.user.displayName} · ` : ''}
              {t('auth.signedInAs', { email: session.user.email })}
            </p>
            <button type="button" className="btn-quiet" onClick={() => void signOut()}>
              {t('auth.signOut')}
            </button>
            <form onSubmit={saveDisplayName} className="flex w-full flex-wrap items-end gap-2" aria-label={t('profile.displayName')}>
              <label className="label grow">
                {t('profile.displayName')}
                <input
                  className="field"
                  required
                  maxLength={100}
                  pattern=".*\S.*"
                  autoComplete="name"
                  value={displayName}
                  onChange={(e) => setDisplayName(e.target.value)}
                />
              </label>
              <button type="submit" className="btn">
                {t('common.save')}
              </button>
            </form>
            {nameMessage && (
              <p role="status" className="w-full text-sm">
                {nameMessage}
              </p>
            )}
          </div>
        ) : (
          <p className="mt-2">
            {services.sessions.endedByServer && (
              <span role="status" className="mb-2 block" data-testid="session-ended">
                {t('sessions.ended')}
              </span>
            )}
            {t('profile.localOnly')}{' '}
            <Link to="/signin" className="underline">
              {t('sync.signInToSync')}
            </Link>
          </p>
        )}
      </section>

      {session && <SessionList />}

      <section className="card mt-6 grid gap-3 sm:grid-cols-3" aria-labelledby="prefs-title">
        <h2 id="prefs-title" className="font-semibold sm:col-span-3">
          {t('profile.preferences')}
        </h2>
        <label className="label">
          {t('profile.theme')}
          <select className="field" value={preferences.theme} onChange={(e) => void updatePreferences({ theme: e.target.value as Theme })}>
            <option value="light">{t('profile.themeLight')}</option>
            <option value="dark">{t('profile.themeDark')}</option>
            <option value="auto">{t('profile.themeAuto')}</option>
          </select>
        </label>
        <label className="label">
          {t('profile.language')}
          <select className="field" value={preferences.language} onChange={(e) => void updatePreferences({ language: e.target.value as Language })}>
            {LANGUAGES.map((language) => (
              <option key={language} value={language} lang={language}>
                {LANGUAGE_NAMES[language]}
              </option>
            ))}
          </select>
        </label>
        <label className="label">
          {t('profile.instrument')}
          <input
            className="field"
            maxLength={50}
            value={instrument}
            onChange={(e) => setInstrument(e.target.value)}
            onBlur={() => {
              localStorage.setItem('mirubato.instrument', instrument)
              void updatePreferences({ primaryInstrument: instrument })
            }}
          />
        </label>
      </section>

      <section className="card mt-6" aria-labelledby="data-title">
        <h2 id="data-title" className="font-semibold">
          {t('profile.data')}
        </h2>
        <div className="mt-3 flex flex-wrap gap-2">
          <button
            type="button"
            className="btn-quiet"
            onClick={async () => download(`mirubato-export-${localDay(new Date())}.json`, JSON.stringify(buildExport(await store.exportAll(), new Date()), null, 2))}
          >
            {t('profile.export')}
          </button>
          <button type="button" className="btn-quiet" onClick={() => file.current?.click()}>
            {t('profile.import')}
          </button>
          <input
            ref={file}
            type="file"
            accept="application/json,.json"
            className="sr-only"
            aria-label={t('profile.import')}
            onChange={(e) => {
              const chosen = e.target.files?.[0]
              if (chosen) void importFile(chosen)
              e.target.value = ''
            }}
          />
          {session && (
            <button type="button" className="btn-quiet" onClick={() => void downloadAll()}>
              {t('profile.downloadAll')}
            </button>
          )}
          {session && (
            <button type="button" className="btn-quiet border-red-300 text-red-800" onClick={() => void deleteAccount()}>
              {t('profile.delete')}
            </button>
          )}
        </div>
        {message && (
          <p role="status" className="mt-3">
            {message}
          </p>
        )}
      </section>
    </Page>
  )
}
