import { useEffect, useId, useState, type FormEvent } from 'react'
import { useConfig } from '../../config-context'
import { useI18n } from '../../i18n'
import { generateScoreId, newId } from '../../lib/ids'
import { localDay, type Entry, type PieceRef } from '../../lib/reports'
import { useDocuments } from '../../services'

export const ENTRY_TYPES = ['practice', 'lesson', 'performance', 'rehearsal', 'technique'] as const
export const MOODS = ['frustrated', 'neutral', 'satisfied', 'excited'] as const
export const INSTRUMENTS = ['piano', 'guitar', 'violin', 'cello', 'flute', 'voice', 'other']

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

/** `YYYY-MM-DDTHH:mm` in local time, for `<input type="datetime-local">`. */
function toLocalInput(iso: string): string {
  const date = new Date(iso)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${localDay(date)}T${pad(date.getHours())}:${pad(date.getMinutes())}`
}

/** Piece titles from the catalogue (`/api/autocomplete/pieces`), when online. */
function usePieceSuggestions(query: string): { value: string; composer: string }[] {
  const { apiUrl } = useConfig()
  const [results, setResults] = useState<{ value: string; composer: string }[]>([])
  useEffect(() => {
    if (query.trim().length < 2 || !navigator.onLine) return
    const controller = new AbortController()
    const timer = setTimeout(() => {
      fetch(`${apiUrl}/api/autocomplete/pieces?q=${encodeURIComponent(query)}&limit=8`, { signal: controller.signal })
        .then((r) => (r.ok ? r.json() : { results: [] }))
        .then((body: { results: { value: string; metadata?: { composer?: string } }[] }) =>
          setResults(body.results.map((r) => ({ value: r.value, composer: r.metadata?.composer ?? '' }))),
        )
        .catch(() => {})
    }, 250)
    return () => {
      clearTimeout(timer)
      controller.abort()
    }
  }, [apiUrl, query])
  return query.trim().length < 2 ? [] : results
}

export interface EntryFormProps {
  initial?: Entry
  /** Minutes from the timer, pre-filled. */
  duration?: number
  onSave: (entry: Entry) => Promise<void>
  onCancel?: () => void
  /** The form's accessible name (default: "Log practice", or "Edit entry" with `initial`). */
  label?: string
  /** Inside a sheet: no card of its own. */
  bare?: boolean
}

export function EntryForm({ initial, duration, onSave, onCancel, label, bare }: EntryFormProps) {
  const { t } = useI18n()
  const formId = useId()
  const goals = useDocuments('goal')
  const [when, setWhen] = useState(() => toLocalInput(initial?.timestamp ?? new Date().toISOString()))
  const [minutes, setMinutes] = useState(String(initial?.duration ?? duration ?? 30))
  const [type, setType] = useState(initial?.type ?? 'practice')
  const [instrument, setInstrument] = useState(initial?.instrument ?? 'piano')
  const [pieces, setPieces] = useState<PieceRef[]>(initial?.pieces ?? [])
  const [pieceTitle, setPieceTitle] = useState('')
  const [pieceComposer, setPieceComposer] = useState('')
  const [techniques, setTechniques] = useState((initial?.techniques ?? []).join(', '))
  const [mood, setMood] = useState(initial?.mood ?? '')
  const [notes, setNotes] = useState(initial?.notes ?? '')
  const [tags, setTags] = useState((initial?.tags ?? []).join(', '))
  const [goalIds, setGoalIds] = useState<string[]>(initial?.goalIds ?? [])
  const suggestions = usePieceSuggestions(pieceTitle)

  useEffect(() => {
    if (duration !== undefined) setMinutes(String(duration))
  }, [duration])

  function addPiece() {
    const title = pieceTitle.trim()
    if (!title) return
    const composer = pieceComposer.trim() || suggestions.find((s) => s.value === title)?.composer || ''
    setPieces([...pieces, { id: generateScoreId(title, composer), title, ...(composer ? { composer } : {}) }])
    setPieceTitle('')
    setPieceComposer('')
  }

  async function submit(event: FormEvent) {
    event.preventDefault()
    const entry: Entry = {
      ...(initial ?? {}),
      id: initial?.id ?? newId('entry'),
      timestamp: new Date(when).toISOString(),
      duration: Math.max(0, Math.min(1440, Math.round(Number(minutes) || 0))),
      type,
      instrument,
      pieces,
      techniques: splitList(techniques),
      mood: mood || undefined,
      notes: notes.trim(),
      tags: splitList(tags),
      goalIds,
    }
    if (!entry.mood) delete entry.mood
    await onSave(entry)
    if (!initial) {
      setPieces([])
      setNotes('')
      setTags('')
      setTechniques('')
      setGoalIds([])
      setWhen(toLocalInput(new Date().toISOString()))
    }
  }

  return (
    <form
      onSubmit={submit}
      className={`${bare ? '' : 'card '}grid gap-4 sm:grid-cols-2`}
      aria-label={label ?? (initial ? t('logbook.editing') : t('logbook.new'))}
    >
      <label className="label">
        {t('logbook.when')}
        <input className="field" type="datetime-local" required value={when} onChange={(e) => setWhen(e.target.value)} />
      </label>
      <label className="label">
        {t('logbook.duration')}
        <input className="field" type="number" min={0} max={1440} required value={minutes} onChange={(e) => setMinutes(e.target.value)} />
      </label>
      <label className="label">
        {t('logbook.type')}
        <select className="field" value={type} onChange={(e) => setType(e.target.value)}>
          {ENTRY_TYPES.map((value) => (
            <option key={value} value={value}>
              {t(`type.${value}`)}
            </option>
          ))}
        </select>
      </label>
      <label className="label">
        {t('logbook.instrument')}
        <input className="field" list={`${formId}-instruments`} required value={instrument} onChange={(e) => setInstrument(e.target.value)} />
        <datalist id={`${formId}-instruments`}>
          {INSTRUMENTS.map((value) => (
            <option key={value} value={value} />
          ))}
        </datalist>
      </label>

      <fieldset className="sm:col-span-2">
        <legend className="label">{t('logbook.pieces')}</legend>
        {pieces.length > 0 && (
          <ul className="mt-2 flex flex-wrap gap-2">
            {pieces.map((piece, index) => (
              <li key={`${piece.id}-${index}`} className="flex items-center gap-1 rounded-full bg-sage-100 px-3 py-1 text-sm">
                {piece.title}
                {piece.composer && <span className="text-sage-600"> — {piece.composer}</span>}
                <button
                  type="button"
                  className="ml-1 rounded-full px-1 text-sage-700 hover:bg-sage-200"
                  aria-label={t('logbook.removePiece', { title: piece.title })}
                  onClick={() => setPieces(pieces.filter((_, i) => i !== index))}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}
        <div className="mt-2 grid gap-2 sm:grid-cols-[1fr_1fr_auto]">
          <label className="label">
            {t('logbook.pieceTitle')}
            <input
              className="field"
              list={`${formId}-pieces`}
              value={pieceTitle}
              onChange={(e) => setPieceTitle(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault()
                  addPiece()
                }
              }}
            />
            <datalist id={`${formId}-pieces`}>
              {suggestions.map((s) => (
                <option key={`${s.value}-${s.composer}`} value={s.value}>
                  {s.composer}
                </option>
              ))}
            </datalist>
          </label>
          <label className="label">
            {t('logbook.pieceComposer')}
            <input className="field" value={pieceComposer} onChange={(e) => setPieceComposer(e.target.value)} />
          </label>
          <button type="button" className="btn-quiet self-end" onClick={addPiece}>
            {t('logbook.addPiece')}
          </button>
        </div>
      </fieldset>

      <label className="label">
        {t('logbook.techniques')}
        <input className="field" value={techniques} onChange={(e) => setTechniques(e.target.value)} />
      </label>
      <label className="label">
        {t('logbook.mood')}
        <select className="field" value={mood} onChange={(e) => setMood(e.target.value)}>
          <option value="">—</option>
          {MOODS.map((value) => (
            <option key={value} value={value}>
              {t(`mood.${value}`)}
            </option>
          ))}
        </select>
      </label>
      <label className="label sm:col-span-2">
        {t('logbook.notes')}
        <textarea className="field" rows={3} value={notes} onChange={(e) => setNotes(e.target.value)} />
      </label>
      <label className="label">
        {t('logbook.tags')}
        <input className="field" value={tags} onChange={(e) => setTags(e.target.value)} />
      </label>
      {goals && goals.length > 0 && (
        <label className="label">
          {t('logbook.goals')}
          <select
            className="field"
            multiple
            value={goalIds}
            onChange={(e) => setGoalIds([...e.target.selectedOptions].map((o) => o.value))}
          >
            {goals.map((goal) => (
              <option key={goal.id} value={goal.id}>
                {String(goal.title)}
              </option>
            ))}
          </select>
        </label>
      )}
      <div className={`flex gap-2 sm:col-span-2 ${bare ? 'sticky bottom-0 -mx-1 border-t border-line bg-surface px-1 pt-3 pb-1' : ''}`}>
        <button type="submit" className="btn">
          {t('common.save')}
        </button>
        {onCancel && (
          <button type="button" className="btn-quiet" onClick={onCancel}>
            {t('common.cancel')}
          </button>
        )}
      </div>
    </form>
  )
}
