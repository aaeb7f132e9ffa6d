import { useState } from 'react'
import { EntryForm } from '../components/logbook/EntryForm'
import { PracticeTimer } from '../components/logbook/PracticeTimer'
import { Page } from '../components/Page'
import { useI18n } from '../i18n'
import { asEntries, formatMinutes, groupByDay, pieceLabel, type Entry } from '../lib/reports'
import { useDocuments, useSave } from '../services'

function EntryCard({ entry, onEdit }: { entry: Entry; onEdit: () => void }) {
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
    </li>
  )
}

export default function Logbook() {
  const { t } = useI18n()
  const docs = useDocuments('logbook_entry')
  const { save } = useSave()
  const [editing, setEditing] = useState<Entry | null>(null)
  const [timerMinutes, setTimerMinutes] = useState<number | undefined>()
  const groups = groupByDay(asEntries(docs))

  return (
    <Page title={t('logbook.title')}>
      <div className="mt-6 space-y-6">
        <PracticeTimer onFinish={setTimerMinutes} />
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
                    <EntryCard key={entry.id} entry={entry} onEdit={() => setEditing(entry)} />
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
