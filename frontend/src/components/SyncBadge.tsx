import { Link } from 'react-router'
import { useI18n } from '../i18n'
import { usePendingCount, useSession, useSyncState } from '../services'

/** Where this device's changes are: local only, waiting, syncing or synced. */
export function SyncBadge() {
  const { t } = useI18n()
  const session = useSession()
  const { state, live } = useSyncState()
  const pending = usePendingCount()
  if (!session) {
    return (
      <Link to="/signin" className="text-xs font-medium text-sage-700 underline" data-testid="sync-state" data-state="local">
        {t('sync.local')} · {t('auth.title')}
      </Link>
    )
  }
  const label = state === 'local' ? 'sync.syncing' : (`sync.${state}` as const)
  return (
    <p role="status" className="text-xs text-sage-700" data-testid="sync-state" data-state={state} data-pending={pending} data-socket={live ? 'open' : 'closed'}>
      {t(label)}
      {pending > 0 && ` · ${t('sync.pending', { count: pending })}`}
    </p>
  )
}
