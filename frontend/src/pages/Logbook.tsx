import { useLiveQuery } from 'dexie-react-hooks'
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { useSearchParams } from 'react-router'
import { EntryCard } from '../components/logbook/EntryCard'
import { EntryForm } from '../components/logbook/EntryForm'
import { LogbookFilters } from '../components/logbook/LogbookFilters'
import { YearHeatmap } from '../components/logbook/YearHeatmap'
import { Page } from '../components/Page'
import { RecordingPlayer } from '../components/recording/RecordingPlayer'
import { useTimerHandoff } from '../components/timer/handoff'
import { useI18n } from '../i18n'
import type { PendingRecording } from '../lib/db'
import type { Doc } from '../lib/documents'
import { newId } from '../lib/ids'
import {
  duplicateEntry,
  filterEntries,
  filterOptions,
  filtersFromQuery,
  filtersToQuery,
  isTypingTarget,
  logbookShortcut,
  practiceTotals,
  type LogbookFilters as Filters,
} from '../lib/logbook'
import { asEntries, dailyTotals, formatMinutes, groupByDay, localDay, type Entry } from '../lib/reports'
import { asItems } from '../lib/repertoire'
import { useDocuments, useSave, useServices } from '../services'
import { Button, Dialog, EmptyState, Tile, useToast } from '../ui'

function peaksOf(doc: Doc): number[] {
  return Array.isArray(doc.peaks) ? doc.peaks.filter((peak): peak is number => typeof peak === 'number') : []
}

/** The entry's recordings: uploaded ones (synced documents) and those still on this device. */
function EntryRecordings({ uploaded, local }: { uploaded: Doc[]; local: PendingRecording[] }) {
  const { api, store } = useServices()
  return (
    <>
      {uploaded.map((doc) => (
        <RecordingPlayer
          key={doc.id}
          durationMs={Number(doc.durationMs) || 0}
          peaks={peaksOf(doc)}
          load={() => api.requestBlob(`/api/recordings/${encodeURIComponent(doc.id)}/audio`)}
        />
      ))}
      {local.map((item) => (
        <RecordingPlayer
          key={item.id}
          durationMs={item.durationMs}
          peaks={item.peaks ?? []}
          load={() => Promise.resolve(item.audio)}
          pending
          refused={item.failure?.message}
          onDiscard={() => void store.db.recordings.delete(item.id)}
        />
      ))}
    </>
  )
}

/** What the sheet holds: a new entry (maybe from the timer), an edit, or a copy of an entry. */
type Sheet = { mode: 'new' } | { mode: 'edit'; entry: Entry } | { mode: 'duplicate'; entry: Entry }

/** The day (local midnight to midnight) changes while the page is open: the tiles follow. */
function useToday(): Date {
  const [now, setNow] = useState(() => new Date())
  useEffect(() => {
    const tick = setInterval(() => setNow(new Date()), 60_000)
    return () => clearInterval(tick)
  }, [])
  return now
}

export default function Logbook() {
  const { t, language } = useI18n()
  const docs = useDocuments('logbook_entry')
  const recordings = useDocuments('recording') ?? []
  const repertoireDocs = useDocuments('repertoire_item')
  const { store, uploader } = useServices()
  const localRecordings = useLiveQuery(() => store.db.recordings.toArray(), [store]) ?? []
  const { save, remove } = useSave()
  const toast = useToast()
  const now = useToday()
  const [searchParams, setSearchParams] = useSearchParams()
  const searchRef = useRef<HTMLInputElement>(null)
  const [sheet, setSheet] = useState<Sheet | null>(null)
  const [timerMinutes, setTimerMinutes] = useState<number | undefined>()
  // The floating timer's finished session and recorded take.
  const handoff = useTimerHandoff()
  const take = handoff.take
  const setTake = handoff.setTake

  const entries = useMemo(() => asEntries(docs), [docs])
  const filters = useMemo(() => filtersFromQuery(searchParams), [searchParams])
  const shown = useMemo(() => filterEntries(entries, filters), [entries, filters])
  const groups = useMemo(() => groupByDay(shown), [shown])
  const options = useMemo(() => filterOptions(entries), [entries])
  const totals = useMemo(() => dailyTotals(entries), [entries])
  const figures = practiceTotals(entries, now)
  const today = localDay(now)
  const repertoire = useMemo(() => new Map(asItems(repertoireDocs).map((item) => [item.scoreId, item.id])), [repertoireDocs])

  const setFilters = useCallback(
    (next: Filters) => setSearchParams((current) => filtersToQuery(next, current), { replace: true }),
    [setSearchParams],
  )
  const openNew = useCallback(() => setSheet({ mode: 'new' }), [])

  // "Finish and log" on the timer (here or on another screen): the sheet opens with its minutes.
  const { minutes: finishedMinutes, setMinutes: clearFinished } = handoff
  useEffect(() => {
    if (finishedMinutes === null) return
    setTimerMinutes(finishedMinutes)
    openNew()
    clearFinished(null)
  }, [finishedMinutes, clearFinished, openNew])

  // n: a new entry; /: the search. Not while typing, nor over a dialog.
  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      const shortcut = logbookShortcut(event.key, {
        modifier: event.ctrlKey || event.metaKey || event.altKey,
        typing: isTypingTarget(event.target),
        dialogOpen: document.querySelector('dialog[open]') !== null,
      })
      if (!shortcut) return
      event.preventDefault()
      if (shortcut === 'new') openNew()
      else searchRef.current?.focus()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [openNew])

  /** The take joins the audio outbox, attached to the entry just saved. */
  async function attachTake(entryId: string) {
    if (!take) return
    await store.db.recordings.add({ id: newId('recording'), ...take, entryId, createdAt: new Date().toISOString() })
    setTake(null)
    void uploader?.drain()
  }

  async function saveFromSheet(entry: Entry) {
    await save('logbook_entry', entry)
    if (sheet?.mode === 'new') {
      await attachTake(entry.id)
      setTimerMinutes(undefined)
    }
    setSheet(null)
    toast({ message: t('logbook.saved') })
  }

  async function deleteEntry(entry: Entry) {
    await remove('logbook_entry', entry.id)
    toast({
      message: t('logbook.deleted'),
      action: {
        label: t('logbook.undo'),
        run: async () => {
          // A newer write than the tombstone: the entry comes back here and on every device.
          await save('logbook_entry', entry)
          toast({ message: t('logbook.restored') })
        },
      },
    })
  }

  const takeNotice = take && (
    <p role="status" className="card flex flex-wrap items-center gap-2 text-sm">
      {t('recording.attached', { seconds: Math.round(take.durationMs / 1000) })}
      <Button className="ml-auto" onClick={() => setTake(null)}>
        {t('recording.discard')}
      </Button>
    </p>
  )
  const sheetTitle = sheet?.mode === 'edit' ? t('logbook.editing') : sheet?.mode === 'duplicate' ? t('logbook.duplicating') : t('logbook.new')

  return (
    <Page
      title={t('logbook.title')}
      actions={
        <Button variant="primary" aria-keyshortcuts="n" onClick={openNew}>
          <span aria-hidden>+</span> {t('logbook.addEntry')}
        </Button>
      }
    >
      <p className="mt-1 hidden text-xs text-ink-muted md:block">{t('logbook.shortcuts')}</p>
      <div className="mt-4 space-y-6">
        {sheet?.mode !== 'new' && takeNotice}

        <section aria-labelledby="overview-title" className="space-y-4">
          <h2 id="overview-title" className="sr-only">
            {t('logbook.overview')}
          </h2>
          <div className="grid grid-cols-3 gap-2 sm:gap-4">
            <Tile label={t('logbook.today')} value={formatMinutes(figures.today)} tone="neutral" testId="tile-today" />
            <Tile label={t('logbook.thisWeek')} value={formatMinutes(figures.week)} tone="green" testId="tile-week" />
            <Tile label={t('logbook.total')} value={formatMinutes(figures.total)} tone="rose" testId="tile-total" />
          </div>
          <YearHeatmap totals={totals} today={today} />
        </section>

        <section aria-labelledby="entries-title" className="space-y-4">
          <h2 id="entries-title" className="text-lg font-semibold">
            {t('logbook.entries')}
          </h2>
          {docs === undefined ? null : entries.length === 0 ? (
            <EmptyState
              title={t('logbook.emptyTitle')}
              action={
                <Button variant="primary" onClick={openNew}>
                  {t('logbook.firstEntry')}
                </Button>
              }
            >
              {t('logbook.empty')}
            </EmptyState>
          ) : (
            <>
              <LogbookFilters filters={filters} options={options} onChange={setFilters} searchRef={searchRef} shown={shown.length} total={entries.length} />
              {groups.length === 0 && <p className="text-ink-muted">{t('logbook.noMatch')}</p>}
              {groups.map((group) => (
                <section key={group.day} aria-label={group.day} data-testid="day">
                  <h3 className="flex items-baseline justify-between gap-3 border-b border-line pb-1 text-sm font-semibold text-ink-muted">
                    <time dateTime={group.day}>
                      {new Date(`${group.day}T12:00:00`).toLocaleDateString(language, {
                        weekday: 'long',
                        year: 'numeric',
                        month: 'long',
                        day: 'numeric',
                      })}
                    </time>
                    <span data-testid="day-total">{t('logbook.dayTotal', { duration: formatMinutes(group.total) })}</span>
                  </h3>
                  <ul className="mt-2 space-y-2">
                    {group.entries.map((entry) => (
                      <EntryCard
                        key={entry.id}
                        entry={entry}
                        repertoire={repertoire}
                        onEdit={() => setSheet({ mode: 'edit', entry })}
                        onDuplicate={() => setSheet({ mode: 'duplicate', entry: duplicateEntry(entry, newId('entry'), new Date()) })}
                        onDelete={() => void deleteEntry(entry)}
                      >
                        <EntryRecordings
                          uploaded={recordings.filter((doc) => doc.entryId === entry.id)}
                          local={localRecordings.filter((item) => item.entryId === entry.id)}
                        />
                      </EntryCard>
                    ))}
                  </ul>
                </section>
              ))}
            </>
          )}
        </section>
      </div>

      <Dialog open={sheet !== null} onClose={() => setSheet(null)} title={sheetTitle} variant="sheet" closeLabel={t('common.close')} testId="entry-sheet">
        {sheet?.mode === 'new' && takeNotice && <div className="mt-3">{takeNotice}</div>}
        <div className="mt-4">
          {sheet && (
            <EntryForm
              key={sheet.mode === 'new' ? 'new' : `${sheet.mode}-${sheet.entry.id}`}
              bare
              initial={sheet.mode === 'new' ? undefined : sheet.entry}
              label={sheet.mode === 'new' ? t('logbook.new') : sheetTitle}
              duration={sheet.mode === 'new' ? timerMinutes : undefined}
              onSave={saveFromSheet}
              onCancel={() => setSheet(null)}
            />
          )}
        </div>
      </Dialog>
    </Page>
  )
}
