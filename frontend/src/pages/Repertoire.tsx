import { useState, type FormEvent } from 'react'
import { Link } from 'react-router'
import { Page } from '../components/Page'
import { useI18n } from '../i18n'
import { formatMinutes, asEntries } from '../lib/reports'
import { STATUSES, asItems, changeStatus, itemTitle, newItem, pieceStats, type RepertoireStatus } from '../lib/repertoire'
import { useDocuments, useSave } from '../services'

export default function Repertoire() {
  const { t } = useI18n()
  const items = asItems(useDocuments('repertoire_item'))
  const entries = asEntries(useDocuments('logbook_entry'))
  const { save } = useSave()
  const [title, setTitle] = useState('')
  const [composer, setComposer] = useState('')
  const [status, setStatus] = useState<RepertoireStatus>('planned')

  async function add(event: FormEvent) {
    event.preventDefault()
    if (!title.trim()) return
    await save('repertoire_item', newItem(title, composer, status))
    setTitle('')
    setComposer('')
  }

  return (
    <Page title={t('repertoire.title')}>
      <form onSubmit={add} className="card mt-6 grid gap-3 sm:grid-cols-[1fr_1fr_auto_auto]" aria-label={t('repertoire.add')}>
        <label className="label">
          {t('logbook.pieceTitle')}
          <input className="field" required value={title} onChange={(e) => setTitle(e.target.value)} />
        </label>
        <label className="label">
          {t('logbook.pieceComposer')}
          <input className="field" value={composer} onChange={(e) => setComposer(e.target.value)} />
        </label>
        <label className="label">
          {t('repertoire.status')}
          <select className="field" value={status} onChange={(e) => setStatus(e.target.value as RepertoireStatus)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`status.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="btn self-end">
          {t('repertoire.add')}
        </button>
      </form>

      {items.length === 0 ? (
        <p className="mt-6 text-sage-700">{t('repertoire.empty')}</p>
      ) : (
        <ul className="mt-6 space-y-2">
          {items
            .sort((a, b) => itemTitle(a).localeCompare(itemTitle(b)))
            .map((item) => {
              const stats = pieceStats(entries, item.scoreId)
              return (
                <li key={item.id} className="card flex flex-wrap items-center gap-3" data-testid="repertoire-item">
                  <div className="min-w-0 flex-1">
                    <Link to={`/repertoire/${encodeURIComponent(item.id)}`} className="font-medium underline-offset-2 hover:underline">
                      {itemTitle(item)}
                    </Link>
                    <p className="text-sm text-sage-700">
                      {t('repertoire.practiced', { count: stats.practiceCount, duration: formatMinutes(stats.totalPracticeTime) })}
                    </p>
                  </div>
                  <label className="text-sm">
                    <span className="sr-only">
                      {t('repertoire.status')}: {itemTitle(item)}
                    </span>
                    <select
                      className="field mt-0"
                      value={item.status}
                      onChange={(e) => void save('repertoire_item', changeStatus(item, e.target.value as RepertoireStatus, new Date()))}
                    >
                      {STATUSES.map((s) => (
                        <option key={s} value={s}>
                          {t(`status.${s}`)}
                        </option>
                      ))}
                    </select>
                  </label>
                </li>
              )
            })}
        </ul>
      )}
    </Page>
  )
}
