import { useEffect, useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { Page } from '../components/Page'
import { useI18n } from '../i18n'
import { asEntries, formatMinutes } from '../lib/reports'
import { asItems, itemTitle, pieceStats } from '../lib/repertoire'
import { useDocuments, useSave } from '../services'

export default function PieceDetail() {
  const { t } = useI18n()
  const { id = '' } = useParams()
  const navigate = useNavigate()
  const docs = useDocuments('repertoire_item')
  const item = asItems(docs).find((i) => i.id === id)
  const entries = asEntries(useDocuments('logbook_entry'))
  const { save, remove } = useSave()
  const [notes, setNotes] = useState('')
  useEffect(() => setNotes(item?.personalNotes ?? ''), [item?.personalNotes])

  if (docs === undefined) return null
  if (!item) {
    return (
      <Page title={t('repertoire.title')}>
        <p className="mt-4">{t('repertoire.notFound')}</p>
        <Link className="underline" to="/repertoire">
          {t('repertoire.back')}
        </Link>
      </Page>
    )
  }
  const stats = pieceStats(entries, item.scoreId)
  return (
    <Page title={itemTitle(item)}>
      <p className="mt-2 text-sage-700">
        {t(`status.${item.status}`)} · {t('repertoire.practiced', { count: stats.practiceCount, duration: formatMinutes(stats.totalPracticeTime) })}
      </p>
      <p className="mt-2 flex flex-wrap gap-3 text-sm">
        <Link className="underline" to={`/toolbox?tool=metronome&piece=${encodeURIComponent(item.id)}`}>
          {t('repertoire.metronomePreset')}
        </Link>
        <Link className="underline" to={`/toolbox?tool=counter&piece=${encodeURIComponent(item.id)}`}>
          {t('repertoire.practiceCounter')}
        </Link>
      </p>
      <div className="mt-6 grid gap-6 md:grid-cols-2">
        <section className="card" aria-labelledby="history-title">
          <h2 id="history-title" className="font-semibold">
            {t('repertoire.history')}
          </h2>
          {stats.sessions.length === 0 ? (
            <p className="mt-2 text-sage-700">{t('common.none')}</p>
          ) : (
            <ul className="mt-2 space-y-1 text-sm">
              {stats.sessions.slice(0, 50).map((e) => (
                <li key={e.id} className="flex justify-between gap-2">
                  <time dateTime={e.timestamp}>{new Date(e.timestamp).toLocaleString()}</time>
                  <span>{formatMinutes(e.duration)}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card" aria-labelledby="status-history-title">
          <h2 id="status-history-title" className="font-semibold">
            {t('repertoire.statusHistory')}
          </h2>
          <ul className="mt-2 space-y-1 text-sm">
            {(item.statusHistory ?? []).map((change) => (
              <li key={change.at}>
                <time dateTime={change.at}>{new Date(change.at).toLocaleDateString()}</time>:{' '}
                {t('repertoire.statusChange', {
                  from: t(`status.${change.from}` as 'status.planned'),
                  to: t(`status.${change.to}` as 'status.planned'),
                })}
              </li>
            ))}
          </ul>
        </section>
      </div>
      <form
        className="card mt-6"
        onSubmit={(e) => {
          e.preventDefault()
          void save('repertoire_item', { ...item, personalNotes: notes })
        }}
      >
        <label className="label">
          {t('repertoire.notes')}
          <textarea className="field" rows={4} value={notes} onChange={(e) => setNotes(e.target.value)} />
        </label>
        <div className="mt-3 flex gap-2">
          <button type="submit" className="btn">
            {t('common.save')}
          </button>
          <button
            type="button"
            className="btn-quiet"
            onClick={async () => {
              await remove('repertoire_item', item.id)
              navigate('/repertoire')
            }}
          >
            {t('common.delete')}
          </button>
        </div>
      </form>
    </Page>
  )
}
