import { useEffect, useRef, useState, type FormEvent } from 'react'
import { Navigate } from 'react-router'
import { Page } from '../components/Page'
import { useI18n } from '../i18n'
import { errorMessage } from '../config'
import { useConfig } from '../config-context'
import { googleSignIn, requestMagicLink } from '../lib/session'
import { useServices, useSession } from '../services'

interface GoogleIdentity {
  accounts: {
    id: {
      initialize(options: { client_id: string; callback: (answer: { credential: string }) => void }): void
      renderButton(element: HTMLElement, options: Record<string, string>): void
    }
  }
}

/**
 * Google Identity Services' button for this deployment's client id (`googleClientId` in
 * `/config.json`); its credential is exchanged for a session at `/api/auth/google`.
 */
function GoogleButton({ clientId, onError }: { clientId: string; onError: (message: string) => void }) {
  const { t } = useI18n()
  const { api, signIn } = useServices()
  const slot = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!slot.current) return
    const script = document.createElement('script')
    script.src = 'https://accounts.google.com/gsi/client'
    script.async = true
    script.onload = () => {
      const google = (window as unknown as { google?: GoogleIdentity }).google
      if (!google || !slot.current) return
      google.accounts.id.initialize({
        client_id: clientId,
        callback: ({ credential }) =>
          googleSignIn(api, credential).then(signIn, (err: unknown) => onError(errorMessage(err))),
      })
      google.accounts.id.renderButton(slot.current, { theme: 'outline', size: 'large', text: 'signin_with' })
    }
    document.head.append(script)
    return () => script.remove()
  }, [api, clientId, signIn, onError])
  return <div ref={slot} aria-label={t('auth.google')} data-testid="google-sign-in" />
}

export default function SignIn() {
  const { t } = useI18n()
  const { api } = useServices()
  const { googleClientId } = useConfig()
  const session = useSession()
  const [email, setEmail] = useState('')
  const [sentTo, setSentTo] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  if (session) return <Navigate to="/logbook" replace />

  async function submit(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await requestMagicLink(api, email.trim())
      setSentTo(email.trim())
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <Page title={t('auth.title')}>
      <p className="mt-3 max-w-prose text-sage-700">{t('auth.intro')}</p>
      <form onSubmit={submit} className="mt-6 max-w-md space-y-4">
        <label className="label">
          {t('auth.email')}
          <input
            className="field"
            type="email"
            required
            autoComplete="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <button className="btn" type="submit" disabled={busy}>
          {t('auth.send')}
        </button>
      </form>
      {sentTo && (
        <p role="status" className="mt-4 text-sage-800">
          {t('auth.sent', { email: sentTo })}
        </p>
      )}
      {error && (
        <p role="alert" className="mt-4 text-red-700">
          {error}
        </p>
      )}
      {googleClientId && (
        <div className="mt-8">
          <GoogleButton clientId={googleClientId} onError={setError} />
        </div>
      )}
    </Page>
  )
}
