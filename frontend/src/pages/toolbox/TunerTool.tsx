import { useEffect, useRef, useState } from 'react'
import { useI18n } from '../../i18n'
import { isSteady, MAX_A4, MIN_A4, nameFrequency, TRANSPOSITIONS, type Accidental, type Notation, type NoteReading, type Transposition } from '../../lib/tools/notes'
import { startTuner, type TunerSession } from '../../lib/tools/tuner'
import { usePersistent } from './state'

export interface TunerSettings {
  a4: number
  notation: Notation
  accidental: Accidental
  transposition: Transposition
}

export const DEFAULT_TUNER: TunerSettings = { a4: 440, notation: 'letter', accidental: 'sharp', transposition: 'C' }

export function sanitizeTuner(raw: TunerSettings): TunerSettings {
  return {
    a4: Math.min(MAX_A4, Math.max(MIN_A4, Math.round(Number(raw.a4)) || 440)),
    notation: raw.notation === 'solfege' ? 'solfege' : 'letter',
    accidental: raw.accidental === 'flat' ? 'flat' : 'sharp',
    transposition: raw.transposition in TRANSPOSITIONS ? raw.transposition : 'C',
  }
}

/** A strobe-like band: stripes drift right when sharp, left when flat, stand still in tune. */
function Strobe({ cents }: { cents: number | null }) {
  const ref = useRef<HTMLDivElement>(null)
  const latest = useRef(cents)
  latest.current = cents
  useEffect(() => {
    let frame = 0
    let phase = 0
    let last = performance.now()
    const tick = (now: number) => {
      const c = latest.current
      // One stripe width per second for each cent off.
      if (c !== null) phase = (phase + ((now - last) / 1000) * c * 16) % 32
      last = now
      if (ref.current) ref.current.style.backgroundPosition = `${phase}px 0`
      frame = requestAnimationFrame(tick)
    }
    frame = requestAnimationFrame(tick)
    return () => cancelAnimationFrame(frame)
  }, [])
  return (
    <div
      ref={ref}
      aria-hidden="true"
      data-testid="strobe"
      className={`h-6 w-full rounded-md border border-sage-300 ${cents === null ? 'opacity-30' : ''}`}
      style={{ backgroundImage: 'repeating-linear-gradient(90deg, var(--color-sage-700) 0 16px, transparent 16px 32px)' }}
    />
  )
}

export function TunerTool() {
  const { t } = useI18n()
  const [settings, setSettings] = usePersistent<TunerSettings>('tuner', DEFAULT_TUNER, sanitizeTuner)
  const [session, setSession] = useState<TunerSession | null>(null)
  const [error, setError] = useState('')
  const [frequency, setFrequency] = useState<number | null>(null)
  const history = useRef<{ midi: number; cents: number[] }>({ midi: -1, cents: [] })
  const [steady, setSteady] = useState(false)
  const latest = useRef(settings)
  latest.current = settings

  useEffect(() => () => session?.stop(), [session])

  const start = async () => {
    setError('')
    try {
      const running = await startTuner((reading) => {
        if (reading.frequency !== null && reading.clarity > 0.8) {
          // Steadiness of the note held: its last readings, started again on a new note.
          const heard = nameFrequency(reading.frequency, latest.current)
          const kept = history.current.midi === heard.midi ? history.current.cents.slice(-9) : []
          history.current = { midi: heard.midi, cents: [...kept, heard.cents] }
          setSteady(isSteady(history.current.cents))
          setFrequency(reading.frequency)
        } else {
          setFrequency(null)
          history.current = { midi: -1, cents: [] }
          setSteady(false)
        }
      })
      setSession(running)
    } catch {
      setError(t('tuner.noMicrophone'))
    }
  }
  const stop = () => {
    session?.stop()
    setSession(null)
    setFrequency(null)
  }

  const note: NoteReading | null = frequency !== null ? nameFrequency(frequency, settings) : null
  const cents = note ? Math.round(note.cents) : null
  const inTune = cents !== null && Math.abs(cents) <= 3
  const angle = note ? Math.max(-50, Math.min(50, note.cents)) * 0.9 : 0

  return (
    <section className="card" aria-labelledby="tuner-title">
      <h2 id="tuner-title" className="font-semibold">
        {t('tuner.title')}
      </h2>
      <div className="mt-4 grid gap-6 md:grid-cols-2">
        <div className="flex flex-col items-center gap-3">
          <svg viewBox="0 0 200 120" className="w-full max-w-72" aria-hidden="true">
            <path d="M 20 110 A 90 90 0 0 1 180 110" fill="none" stroke="var(--color-sage-300)" strokeWidth="6" />
            {[-50, -25, 0, 25, 50].map((c) => {
              const a = ((c * 0.9 - 90) * Math.PI) / 180
              return <line key={c} x1={100 + 80 * Math.cos(a)} y1={110 + 80 * Math.sin(a)} x2={100 + 95 * Math.cos(a)} y2={110 + 95 * Math.sin(a)} stroke="var(--color-sage-600)" strokeWidth={c === 0 ? 3 : 1.5} />
            })}
            <line x1="100" y1="110" x2="100" y2="28" stroke={inTune ? 'var(--color-sage-800)' : 'var(--color-sage-600)'} strokeWidth="3" strokeLinecap="round" transform={`rotate(${angle} 100 110)`} data-testid="needle" />
            <circle cx="100" cy="110" r="6" fill="var(--color-sage-800)" />
          </svg>
          <p className="text-center" role="status" aria-live="polite">
            <span className="block text-5xl font-semibold" data-testid="tuner-note">
              {note ? (
                <>
                  {note.name}
                  <sub className="text-2xl">{note.octave}</sub>
                </>
              ) : (
                '–'
              )}
            </span>
            <span className="block tabular-nums text-sage-800" data-testid="tuner-cents">
              {cents !== null ? t('tuner.cents', { cents: cents > 0 ? `+${cents}` : String(cents) }) : t('tuner.listening')}
            </span>
            <span className="block text-sm text-sage-700" data-testid="tuner-frequency">
              {frequency !== null ? `${frequency.toFixed(1)} Hz` : ''}
            </span>
          </p>
          <p className={`rounded-full px-3 py-1 text-sm ${steady ? 'bg-sage-700 text-sage-50' : 'bg-sage-100 text-sage-800'}`} data-testid="tuner-steady">
            {note ? (steady ? (inTune ? t('tuner.steadyInTune') : t('tuner.steady')) : t('tuner.unsteady')) : t('tuner.noNote')}
          </p>
          <Strobe cents={note ? note.cents : null} />
          <div className="flex gap-2">
            {session ? (
              <button type="button" className="btn" onClick={stop}>
                {t('tuner.stop')}
              </button>
            ) : (
              <button type="button" className="btn" onClick={() => void start()}>
                {t('tuner.start')}
              </button>
            )}
          </div>
          {error && (
            <p role="alert" className="text-sm text-sage-900">
              {error}
            </p>
          )}
        </div>
        <div className="space-y-3">
          <label className="label">
            {t('tuner.reference', { hz: settings.a4 })}
            <div className="mt-1 flex items-center gap-2">
              <button type="button" className="btn-quiet" aria-label={t('tuner.referenceDown')} onClick={() => setSettings(sanitizeTuner({ ...settings, a4: settings.a4 - 1 }))}>
                −
              </button>
              <input className="field mt-0" type="number" min={MIN_A4} max={MAX_A4} value={settings.a4} onChange={(e) => setSettings(sanitizeTuner({ ...settings, a4: Number(e.target.value) }))} />
              <button type="button" className="btn-quiet" aria-label={t('tuner.referenceUp')} onClick={() => setSettings(sanitizeTuner({ ...settings, a4: settings.a4 + 1 }))}>
                +
              </button>
            </div>
          </label>
          <label className="label">
            {t('tuner.notation')}
            <select className="field" value={settings.notation} onChange={(e) => setSettings({ ...settings, notation: e.target.value as Notation })}>
              <option value="letter">C D E</option>
              <option value="solfege">Do Re Mi</option>
            </select>
          </label>
          <label className="label">
            {t('tuner.accidentals')}
            <select className="field" value={settings.accidental} onChange={(e) => setSettings({ ...settings, accidental: e.target.value as Accidental })}>
              <option value="sharp">♯ {t('tuner.sharps')}</option>
              <option value="flat">♭ {t('tuner.flats')}</option>
            </select>
          </label>
          <label className="label">
            {t('tuner.instrument')}
            <select className="field" value={settings.transposition} onChange={(e) => setSettings({ ...settings, transposition: e.target.value as Transposition })}>
              {(Object.keys(TRANSPOSITIONS) as Transposition[]).map((key) => (
                <option key={key} value={key}>
                  {t(`tuner.transposition.${key}`)}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>
    </section>
  )
}
