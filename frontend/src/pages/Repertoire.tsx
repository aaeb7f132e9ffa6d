import { useMemo, useState, type FormEvent } from 'react'
import { Link, useSearchParams } from 'react-router'
import { Page } from '../components/Page'
import { useI18n } from '../i18n'
import { formatMinutes, asEntries, localDay } from '../lib/reports'
import {
  SORTS,
  STATUSES,
  asItems,
  changeStatus,
  itemTitle,
  newItem,
  pieceStats,
  repertoireSummary,
  sortItems,
  type PieceStats,
  type RepertoireItem,
  type RepertoireSort,
  type RepertoireStatus,
} from '../lib/repertoire'
import { useDocuments, useSave } from '../services'
import { Badge, Button, Card, Dialog, EmptyState, Field, Select, Tile, cx, type Tone } from '../ui'

/** Badge colour of each status. */
export const STATUS_TONE: Record<RepertoireStatus, Tone> = {
  planned: 'neutral',
  learning: 'green',
  working: 'amber',
  polished: 'violet',
  performance_ready: 'blue',
  dropped: 'rose',
}

type View = 'list' | 'grid'

function isSort(value: string | null): value is RepertoireSort {
  return (SORTS as readonly (string | null)[]).includes(value)
}

/** "Practised today", "… yesterday", "… N days ago", or "Not practised yet". */
function lastPractised(stats: PieceStats | undefined, now: Date, t: ReturnType<typeof useI18n>['t']): string {
  if (!stats?.lastPracticed) return t('pieces.never')
  const days = Math.round((Date.parse(`${localDay(now)}T12:00:00`) - Date.parse(`${localDay(new Date(stats.lastPracticed))}T12:00:00`)) / 86_400_000)
  if (days <= 0) return t('pieces.today')
  if (days === 1) return t('pieces.yesterday')
  return t('pieces.daysAgo', { days })
}

function PieceCard({ item, stats, now, onStatus }: { item: RepertoireItem; stats: PieceStats | undefined; now: Date; onStatus: (status: RepertoireStatus) => void }) {
  const { t } = useI18n()
  const title = item.title ?? itemTitle(item)
  return (
    <Card as="li" className="flex flex-col gap-2" data-testid="repertoire-item">
      <div className="flex flex-wrap items-start gap-x-3 gap-y-2">
        <div className="min-w-[12rem] flex-1">
          <Link
            to={`/repertoire/${encodeURIComponent(item.id)}`}
            aria-label={itemTitle(item)}
            className="font-title text-lg leading-snug text-ink underline-offset-2 hover:underline"
          >
            {title}
          </Link>
          {item.composer && <p className="font-title text-sm text-ink-muted">{item.composer}</p>}
        </div>
        <label className="shrink-0 text-sm">
          <span className="sr-only">
            {t('repertoire.status')}: {itemTitle(item)}
          </span>
          <select className="field mt-0 py-1 text-sm" value={item.status} onChange={(e) => onStatus(e.target.value as RepertoireStatus)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`status.${s}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="flex flex-wrap items-center gap-x-2 gap-y-1 text-sm text-ink-muted">
        <Badge tone={STATUS_TONE[item.status]}>{t(`status.${item.status}`)}</Badge>
        <span aria-hidden>·</span>
        <span>{lastPractised(stats, now, t)}</span>
        <span aria-hidden>·</span>
        <span>{t('repertoire.practiced', { count: stats?.practiceCount ?? 0, duration: formatMinutes(stats?.totalPracticeTime ?? 0) })}</span>
      </p>
    </Card>
  )
}

export default function Repertoire() {
  const { t } = useI18n()
  const docs = useDocuments('repertoire_item')
  const items = useMemo(() => asItems(docs), [docs])
  const entryDocs = useDocuments('logbook_entry')
  const entries = useMemo(() => asEntries(entryDocs), [entryDocs])
  const { save } = useSave()
  const [params, setParams] = useSearchParams()
  const [adding, setAdding] = useState(false)
  const [title, setTitle] = useState('')
  const [composer, setComposer] = useState('')
  const [status, setStatus] = useState<RepertoireStatus>('planned')
  const now = new Date()

  const view: View = params.get('view') === 'grid' ? 'grid' : 'list'
  const sortParam = params.get('sort')
  const sort: RepertoireSort = isSort(sortParam) ? sortParam : 'status'
  const stats = useMemo(() => new Map(items.map((item) => [item.scoreId, pieceStats(entries, item.scoreId)])), [items, entries])
  const sorted = useMemo(() => sortItems(items, stats, sort), [items, stats, sort])
  const summary = repertoireSummary(items)

  function setParam(name: string, value: string, fallback: string) {
    setParams(
      (current) => {
        const next = new URLSearchParams(current)
        if (value === fallback) next.delete(name)
        else next.set(name, value)
        return next
      },
      { replace: true },
    )
  }

  async function add(event: FormEvent) {
    event.preventDefault()
    if (!title.trim()) return
    await save('repertoire_item', newItem(title, composer, status))
    setTitle('')
    setComposer('')
    setStatus('planned')
    setAdding(false)
  }

  const addButton = (
    <Button variant="primary" onClick={() => setAdding(true)}>
      <span aria-hidden>+</span> {t('pieces.add')}
    </Button>
  )

  return (
    <Page title={t('repertoire.title')} actions={addButton}>
      <div className="mt-6 grid grid-cols-3 gap-2 sm:gap-4">
        <Tile label={t('pieces.total')} value={summary.total} tone="neutral" testId="tile-pieces" />
        <Tile label={t('pieces.active')} value={summary.active} tone="green" testId="tile-active" />
        <Tile label={t('pieces.polished')} value={summary.polished} tone="rose" testId="tile-polished" />
      </div>

      {docs === undefined ? null : items.length === 0 ? (
        <div className="mt-6">
          <EmptyState title={t('pieces.emptyTitle')} action={addButton}>
            {t('repertoire.empty')}
          </EmptyState>
        </div>
      ) : (
        <>
          <div className="mt-6 flex flex-wrap items-end justify-end gap-3">
            <div role="group" aria-label={t('pieces.view')} className="flex rounded-control border border-line bg-surface-muted p-0.5">
              {(['list', 'grid'] as const).map((option) => (
                <button
                  key={option}
                  type="button"
                  aria-pressed={view === option}
                  onClick={() => setParam('view', option, 'list')}
                  className={cx(
                    'rounded-control px-3 py-1.5 text-sm font-medium',
                    view === option ? 'bg-surface text-ink shadow-sm' : 'text-ink-muted hover:text-ink',
                  )}
                >
                  {t(option === 'list' ? 'pieces.list' : 'pieces.grid')}
                </button>
              ))}
            </div>
            <Field label={t('pieces.sort')} className="w-56">
              <Select
                value={sort}
                onChange={(event) => setParam('sort', event.target.value, 'status')}
                options={SORTS.map((value) => ({ value, label: t(`pieces.sort.${value}`) }))}
              />
            </Field>
          </div>
          <ul className={cx('mt-4', view === 'grid' ? 'grid gap-3 sm:grid-cols-2 lg:grid-cols-3' : 'space-y-2')} data-view={view}>
            {sorted.map((item) => (
              <PieceCard
                key={item.id}
                item={item}
                stats={stats.get(item.scoreId)}
                now={now}
                onStatus={(next) => void save('repertoire_item', changeStatus(item, next, new Date()))}
              />
            ))}
          </ul>
        </>
      )}

      <Dialog open={adding} onClose={() => setAdding(false)} title={t('repertoire.add')} variant="sheet" closeLabel={t('common.close')}>
        <form onSubmit={add} className="mt-4 space-y-3" aria-label={t('repertoire.add')}>
          <Field label={t('logbook.pieceTitle')}>
            <input className="field" required value={title} onChange={(e) => setTitle(e.target.value)} />
          </Field>
          <Field label={t('logbook.pieceComposer')}>
            <input className="field" value={composer} onChange={(e) => setComposer(e.target.value)} />
          </Field>
          <Field label={t('repertoire.status')}>
            <Select value={status} onChange={(e) => setStatus(e.target.value as RepertoireStatus)} options={STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) }))} />
          </Field>
          <div className="flex justify-end gap-2">
            <Button onClick={() => setAdding(false)}>{t('common.cancel')}</Button>
            <Button type="submit" variant="primary">
              {t('repertoire.add')}
            </Button>
          </div>
        </form>
      </Dialog>
    </Page>
  )
}
