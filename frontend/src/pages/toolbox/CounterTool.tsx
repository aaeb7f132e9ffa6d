import { useState } from 'react'
import { Link } from 'react-router'
import { useI18n } from '../../i18n'
import { newId } from '../../lib/ids'
import { asEntries } from '../../lib/reports'
import { asItems, itemTitle } from '../../lib/repertoire'
import { useDocuments, useSave } from '../../services'
import { usePersistent, useToolboxDoc } from './state'

/** Repetitions counted per piece (synced), and logged into a logbook entry with the tempo. */
export function CounterTool({ bpm, initialPiece }: { bpm: number; initialPiece: string }) {
  const { t } = useI18n()
  const pieces = asItems(useDocuments('repertoire_item'))
  const entries = asEntries(useDocuments('logbook_entry'))
  const { save } = useSave()
  const { doc, update } = useToolboxDoc()
  const [savedPiece, setPieceId] = usePersistent('counterPiece', '', (v) => (typeof v === 'string' ? v : ''))
  // A piece opened from its repertoire page wins over the last one chosen here.
  const [opened, setOpened] = useState(initialPiece)
  const pieceId = opened || savedPiece
  const choosePiece = (id: string) => {
    setOpened('')
    setPieceId(id)
  }
  const [minutes, setMinutes] = useState(10)
  const [withTempo, setWithTempo] = useState(true)
  const [logged, setLogged] = useState(false)
  const count = doc.counters[pieceId] ?? 0
  const piece = pieces.find((p) => p.id === pieceId)

  const setCount = (next: number) => {
    setLogged(false)
    void update((d) => ({ ...d, counters: { ...d.counters, [pieceId]: Math.max(0, next) } }))
  }

  const log = async () => {
    const latest = [...entries].sort((a, b) => b.timestamp.localeCompare(a.timestamp))[0]
    const notes = withTempo ? t('counter.logNotesTempo', { count, bpm }) : t('counter.logNotes', { count })
    await save('logbook_entry', {
      id: newId('entry'),
      timestamp: new Date().toISOString(),
      duration: Math.min(1440, Math.max(1, minutes)),
      type: 'practice',
      instrument: latest?.instrument ?? 'piano',
      pieces: piece ? [{ id: piece.scoreId, title: piece.title ?? itemTitle(piece), ...(piece.composer ? { composer: piece.composer } : {}) }] : [],
      ...(piece ? { scoreId: piece.scoreId } : {}),
      notes,
      repetitions: count,
      ...(withTempo ? { tempo: bpm } : {}),
    })
    await update((d) => ({ ...d, counters: { ...d.counters, [pieceId]: 0 } }))
    setLogged(true)
  }

  return (
    <section className="card" aria-labelledby="counter-title">
      <h2 id="counter-title" className="font-semibold">
        {t('counter.title')}
      </h2>
      <label className="label mt-3">
        {t('counter.piece')}
        <select className="field" value={pieceId} onChange={(e) => choosePiece(e.target.value)}>
          <option value="">{t('metronome.noPiece')}</option>
          {pieces.map((p) => (
            <option key={p.id} value={p.id}>
              {itemTitle(p)}
            </option>
          ))}
        </select>
      </label>
      <p className="mt-4 text-center text-3xl font-semibold tabular-nums break-words sm:text-4xl" role="status" data-testid="counter">
        {t('counter.count', { count })}
      </p>
      <div className="mt-3 flex flex-wrap justify-center gap-2">
        <button type="button" className="btn min-h-14 min-w-40 text-lg" onClick={() => setCount(count + 1)}>
          {t('counter.increment')}
        </button>
        <button type="button" className="btn-quiet" onClick={() => setCount(count - 1)} disabled={count === 0}>
          {t('counter.decrement')}
        </button>
        <button type="button" className="btn-quiet" onClick={() => setCount(0)}>
          {t('counter.reset')}
        </button>
      </div>
      <fieldset className="mt-6 rounded-md border border-sage-200 p-3">
        <legend className="px-1 text-sm font-semibold">{t('counter.log')}</legend>
        <div className="grid gap-2 sm:grid-cols-2 sm:items-end">
          <label className="label">
            {t('counter.minutes')}
            <input className="field" type="number" min={1} max={1440} value={minutes} onChange={(e) => setMinutes(Number(e.target.value) || 1)} />
          </label>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={withTempo} onChange={(e) => setWithTempo(e.target.checked)} />
            {t('counter.withTempo', { bpm })}
          </label>
        </div>
        <button type="button" className="btn mt-3" disabled={count === 0} onClick={() => void log()}>
          {t('counter.logButton')}
        </button>
        {logged && (
          <p role="status" className="mt-2 text-sm" data-testid="counter-logged">
            {t('counter.logged')}{' '}
            <Link className="underline" to="/logbook">
              {t('nav.logbook')}
            </Link>
          </p>
        )}
      </fieldset>
    </section>
  )
}
