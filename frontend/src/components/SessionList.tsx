import { useCallback, useEffect, useRef, useState } from 'react'
import { errorMessage } from '../config'
import { useI18n } from '../i18n'
import { endSession, formatDate, listSessions, relativeTime, type DeviceSession } from '../lib/devices'
import { useServices } from '../services'
import { Button, Dialog } from '../ui'

type Listing =
  | { status: 'loading' }
  | { status: 'failed'; reason: string }
  | { status: 'ready'; sessions: DeviceSession[]; at: Date }

/**
 * The account's signed-in sessions (Profile): this device marked, the others each with a
 * sign-out, and "Sign out everywhere" behind a confirmation dialog.
 */
export function SessionList() {
  const { t, language } = useI18n()
  const { api, signOut } = useServices()
  const [listing, setListing] = useState<Listing>({ status: 'loading' })
  const [ending, setEnding] = useState<string | null>(null)
  const [notice, setNotice] = useState<{ text: string; failed: boolean } | null>(null)
  const [everywhere, setEverywhere] = useState<'idle' | 'busy'>('idle')
  const noticeRef = useRef<HTMLParagraphElement>(null)
  const [confirming, setConfirming] = useState(false)
  const live = useRef(true)

  const load = useCallback(async () => {
    setListing({ status: 'loading' })
    try {
      const sessions = await listSessions(api)
      if (live.current) setListing({ status: 'ready', sessions, at: new Date() })
    } catch (err) {
      if (live.current) setListing({ status: 'failed', reason: errorMessage(err) })
    }
  }, [api])

  useEffect(() => {
    live.current = true
    void load()
    return () => {
      live.current = false
    }
  }, [load])

  // A message replaces the button that was pressed: keyboard focus goes to the message.
  useEffect(() => {
    if (notice) noticeRef.current?.focus()
  }, [notice])

  const label = (session: DeviceSession) => session.device || t('sessions.unknownDevice')

  async function end(session: DeviceSession) {
    setEnding(session.id)
    setNotice(null)
    try {
      await endSession(api, session.id)
      if (!live.current) return
      setListing((current) =>
        current.status === 'ready' ? { ...current, sessions: current.sessions.filter((s) => s.id !== session.id) } : current,
      )
      setNotice({ text: t('sessions.signedOut', { device: label(session) }), failed: false })
    } catch (err) {
      if (live.current) setNotice({ text: t('sessions.signOutFailed', { device: label(session), reason: errorMessage(err) }), failed: true })
    } finally {
      if (live.current) setEnding(null)
    }
  }

  async function endEverywhere() {
    setEverywhere('busy')
    setNotice(null)
    try {
      // Signed out here too: this section goes away with the session.
      await signOut({ everywhere: true })
    } catch (err) {
      if (!live.current) return
      setConfirming(false)
      setEverywhere('idle')
      setNotice({ text: t('sessions.everywhereFailed', { reason: errorMessage(err) }), failed: true })
    }
  }

  return (
    <section className="card mt-6" aria-labelledby="sessions-title" aria-busy={listing.status === 'loading'} data-testid="sessions">
      <h2 id="sessions-title" className="font-semibold">
        {t('sessions.title')}
      </h2>
      <p className="mt-1 text-sm text-sage-700">{t('sessions.intro')}</p>

      {listing.status === 'loading' && (
        <p role="status" className="mt-3 text-sm text-sage-700">
          {t('sessions.loading')}
        </p>
      )}
      {listing.status === 'failed' && (
        <div role="alert" className="mt-3 flex flex-wrap items-center gap-3 text-sm">
          <p className="text-red-800">{t('sessions.failed', { reason: listing.reason })}</p>
          <button type="button" className="btn-quiet" onClick={() => void load()}>
            {t('sessions.retry')}
          </button>
        </div>
      )}
      {listing.status === 'ready' && listing.sessions.length === 0 && <p className="mt-3 text-sm">{t('sessions.empty')}</p>}
      {listing.status === 'ready' && listing.sessions.length > 0 && (
        <ul className="mt-3 divide-y divide-sage-200 border-y border-sage-200" aria-labelledby="sessions-title">
          {listing.sessions.map((session) => (
            <li
              key={session.id}
              data-testid="session"
              data-session-id={session.id}
              data-current={session.current}
              className="flex flex-wrap items-center gap-x-4 gap-y-2 py-3"
            >
              <div className="min-w-0 grow">
                <p className="flex flex-wrap items-center gap-2 font-medium">
                  <span className="break-words">{label(session)}</span>
                  {session.current && (
                    <span className="rounded-full bg-sage-100 px-2 py-0.5 text-xs font-medium text-sage-800 ring-1 ring-sage-300">
                      {t('sessions.thisDevice')}
                    </span>
                  )}
                </p>
                <p className="mt-0.5 text-sm text-sage-700">
                  {session.lastUsedAt && (
                    <time dateTime={session.lastUsedAt.toISOString()} title={session.lastUsedAt.toLocaleString(language)}>
                      {t('sessions.lastUsed', { when: relativeTime(session.lastUsedAt, listing.at, language) })}
                    </time>
                  )}
                  {session.lastUsedAt && session.createdAt && <span aria-hidden> · </span>}
                  {session.createdAt && (
                    <time dateTime={session.createdAt.toISOString()}>
                      {t('sessions.created', { date: formatDate(session.createdAt, language) })}
                    </time>
                  )}
                </p>
              </div>
              {!session.current && (
                <button
                  type="button"
                  className="btn-quiet"
                  aria-label={t('sessions.signOutDevice', { device: label(session) })}
                  disabled={ending !== null}
                  onClick={() => void end(session)}
                >
                  {ending === session.id ? t('sessions.signingOut') : t('auth.signOut')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}

      {notice && (
        <p
          ref={noticeRef}
          tabIndex={-1}
          role={notice.failed ? 'alert' : 'status'}
          className={`mt-3 text-sm ${notice.failed ? 'text-red-800' : ''}`}
        >
          {notice.text}
        </p>
      )}

      <div className="mt-4">
        <Button variant="danger" onClick={() => setConfirming(true)}>
          {t('sessions.everywhere')}
        </Button>
      </div>

      <Dialog
        open={confirming}
        onClose={() => {
          if (everywhere === 'busy') return
          setConfirming(false)
        }}
        title={t('sessions.everywhere')}
        description={t('sessions.everywhereConfirm')}
      >
        <div className="mt-4 flex flex-wrap justify-end gap-2">
          {/* First in order, so it has the focus when the dialog opens: Enter does no harm. */}
          <Button autoFocus onClick={() => setConfirming(false)} disabled={everywhere === 'busy'}>
            {t('common.cancel')}
          </Button>
          <Button variant="danger" onClick={() => void endEverywhere()} disabled={everywhere === 'busy'}>
            {everywhere === 'busy' ? t('sessions.signingOut') : t('sessions.everywhereButton')}
          </Button>
        </div>
      </Dialog>
    </section>
  )
}
