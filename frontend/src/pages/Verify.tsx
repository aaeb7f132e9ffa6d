import { useEffect, useRef, useState } from 'react'
import { Link, useNavigate, useSearchParams } from 'react-router'
import { Page } from '../components/Page'
import { useI18n } from '../i18n'
import { verifyMagicLink } from '../lib/session'
import { useServices } from '../services'

/** `/auth/verify?token=…`: the magic link lands here. */
export default function Verify() {
  const { t } = useI18n()
  const { api, signIn } = useServices()
  const [params] = useSearchParams()
  const navigate = useNavigate()
  const [failed, setFailed] = useState(false)
  const started = useRef(false)
  const token = params.get('token')

  useEffect(() => {
    // A link is usable once: never send it twice (StrictMode runs effects twice).
    if (started.current) return
    started.current = true
    if (!token) {
      setFailed(true)
      return
    }
    verifyMagicLink(api, token).then(
      (session) => {
        signIn(session)
        navigate('/logbook', { replace: true })
      },
      () => setFailed(true),
    )
  }, [api, navigate, signIn, token])

  return (
    <Page title={t('auth.title')}>
      {failed ? (
        <p role="alert" className="mt-4 text-sage-800">
          {t('auth.failed')}{' '}
          <Link className="underline" to="/signin">
            {t('auth.send')}
          </Link>
        </p>
      ) : (
        <p role="status" className="mt-4 text-sage-700">
          {t('auth.verifying')}
        </p>
      )}
    </Page>
  )
}
