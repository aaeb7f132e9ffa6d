import { useLiveQuery } from 'dexie-react-hooks'
import { useState } from 'react'
import { EntryForm } from '../components/logbook/EntryForm'
import { PracticeTimer } from '../components/logbook/PracticeTimer'
import { Page } from '../components/Page'
import type { Take } from '../components/recording/Recorder'
import { RecordingPlayer } from '../components/recording/RecordingPlayer'
import { useI18n } from '../i18n'
import type { PendingRecording } from '../lib/db'
import type { Doc } from '../lib/documents'
import { newId } from '../lib/ids'
import { asEntries, formatMinutes, groupByDay, pieceLabel, type Entry } from '../lib/reports'
import { useDocuments, useSave, useServices } from '../services'

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

function EntryCard({
  entry,
  onEdit,
  recordings,
  localRecordings,
}: {
  entry: Entry
  onEdit: () => void
  recordings: Doc[]
  localRecordings: PendingRecording[]
}) {
  const { t } = useI18n()
  const { remove } = useSave()
  const time = new Date(entry.timestamp).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
  return (
    <li className="card" data-testid="entry" data-entry-id={entry.id}>
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
        <span className="font-medium">{formatMinutes(entry.duration)}</span>
        <span className="text-sm text-sage-700">
          {time} · {t(`type.${entry.type}` as 'type.practice')} · {entry.instrument}
        </span>
        <span className="ml-auto flex gap-2">
          <button type="button" className="btn-quiet" onClick={onEdit}>
            {t('common.edit')}
          </button>
          <button
            type="button"
            className="btn-quiet"
            onClick={() => {
              if (confirm(t('logbook.deleteConfirm'))) void remove('logbook_entry', entry.id)
            }}
          >
            {t('common.delete')}
          </button>
        </span>
      </div>
      {(entry.pieces ?? []).length > 0 && <p className="mt-1 text-sm">{entry.pieces!.map(pieceLabel).join(', ')}</p>}
      {entry.notes && <p className="mt-1 text-sm whitespace-pre-wrap text-sage-800">{entry.notes}</p>}
      {(entry.tags ?? []).length > 0 && (
        <p className="mt-1 flex flex-wrap gap-1">
          {entry.tags!.map((tag) => (
            <span key={tag} className="rounded bg-sage-100 px-2 text-xs">
              #{tag}
            </span>
          ))}
        </p>
      )}
      <EntryRecordings uploaded={recordings} local={localRecordings} />
    </li>
  )
}

export default function Logbook() {
  const { t } = useI18n()
  const docs = useDocuments('logbook_entry')
  const recordings = useDocuments('recording') ?? []
  const { store, uploader } = useServices()
  const localRecordings = useLiveQuery(() => store.db.recordings.toArray(), [store]) ?? []
  const { save } = useSave()
  const [editing, setEditing] = useState<Entry | null>(null)
  const [timerMinutes, setTimerMinutes] = useState<number | undefined>()
  const [take, setTake] = useState<Take | null>(null)
  const groups = groupByDay(asEntries(docs))

  /** The take joins the audio outbox, attached to the entry just saved. */
  async function attachTake(entryId: string) {
    if (!take) return
    await store.db.recordings.add({ id: newId('recording'), ...take, entryId, createdAt: new Date().toISOString() })
    setTake(null)
    void uploader?.drain()
  }

  return (
    <Page title={t('logbook.title')}>
      <div className="mt-6 space-y-6">
        <PracticeTimer onFinish={setTimerMinutes} onTake={setTake} />
        {take && (
          <p role="status" className="card flex flex-wrap items-center gap-2 text-sm">
            {t('recording.attached', { seconds: Math.round(take.durationMs / 1000) })}
            <button type="button" className="btn-quiet ml-auto" onClick={() => setTake(null)}>
              {t('recording.discard')}
            </button>
          </p>
        )}
        {editing ? (
          <EntryForm
            key={editing.id}
            initial={editing}
            onSave={async (entry) => {
              await save('logbook_entry', entry)
              setEditing(null)
            }}
            onCancel={() => setEditing(null)}
          />
        ) : (
          <section aria-labelledby="new-entry">
            <h2 id="new-entry" className="mb-2 text-lg font-semibold">
              {t('logbook.new')}
            </h2>
            <EntryForm
              duration={timerMinutes}
              onSave={async (entry) => {
                await save('logbook_entry', entry)
                await attachTake(entry.id)
                setTimerMinutes(undefined)
              }}
            />
          </section>
        )}
        <section aria-labelledby="entries-title">
          <h2 id="entries-title" className="text-lg font-semibold">
            {t('logbook.entries')}
          </h2>
          {docs === undefined ? null : groups.length === 0 ? (
            <p className="mt-2 text-sage-700">{t('logbook.empty')}</p>
          ) : (
            groups.map((group) => (
              <section key={group.day} aria-label={group.day} className="mt-4" data-testid="day">
                <h3 className="flex justify-between text-sm font-semibold text-sage-700">
                  <time dateTime={group.day}>
                    {new Date(`${group.day}T12:00:00`).toLocaleDateString([], {
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
                      onEdit={() => setEditing(entry)}
                      recordings={recordings.filter((doc) => doc.entryId === entry.id)}
                      localRecordings={localRecordings.filter((item) => item.entryId === entry.id)}
                    />
                  ))}
                </ul>
              </section>
            ))
          )}
        </section>
      </div>
    </Page>
  )
}
