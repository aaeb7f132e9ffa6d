import { useEffect, useRef, useState } from 'react'
import { Link } from 'react-router'
import { Page } from '../components/Page'
import { useI18n } from '../i18n'
import { CIRCLE, neighbours } from '../lib/circle'
import { Metronome, clockOffset } from '../lib/metronome'
import { useServices } from '../services'

/** Lead time for an ensemble start: enough for the frame to reach every device. */
const ENSEMBLE_LEAD_MS = 1500

function MetronomeTool() {
  const { t } = useI18n()
  const { engine } = useServices()
  const metronome = useRef<Metronome | null>(null)
  const offset = useRef(0)
  const [bpm, setBpm] = useState(100)
  const [beats, setBeats] = useState(4)
  const [playing, setPlaying] = useState<number | null>(null)
  const [beat, setBeat] = useState(-1)

  function instance() {
    if (!metronome.current) {
      metronome.current = new Metronome()
      metronome.current.onBeat = setBeat
    }
    return metronome.current
  }

  useEffect(() => () => metronome.current?.stop(), [])

  // Ensemble: learn the server clock offset, and follow starts and stops from any device.
  useEffect(() => {
    if (!engine) return
    let sentAt = 0
    const off = engine.onFrame((frame) => {
      if (frame.type === 'CLOCK_SYNC' && typeof frame.serverTime === 'number') {
        offset.current = clockOffset(sentAt, frame.serverTime, Date.now())
      } else if (frame.type === 'METRONOME_START' && typeof frame.bpm === 'number') {
        const beatsPerBar = Number(frame.beatsPerBar) || 4
        const startAt = typeof frame.startAt === 'number' ? frame.startAt - offset.current : undefined
        setBpm(frame.bpm)
        setBeats(beatsPerBar)
        instance().play(frame.bpm, beatsPerBar, startAt)
        setPlaying(frame.bpm)
      } else if (frame.type === 'METRONOME_STOP') {
        instance().stop()
        setPlaying(null)
        setBeat(-1)
      }
    })
    sentAt = Date.now()
    engine.send({ type: 'CLOCK_SYNC', clientTime: sentAt })
    return off
  }, [engine])

  const start = () => {
    instance().play(bpm, beats)
    setPlaying(bpm)
  }
  const stop = () => {
    instance().stop()
    setPlaying(null)
    setBeat(-1)
    engine?.send({ type: 'METRONOME_STOP' })
  }
  const ensemble = () => {
    const startAt = Math.round(Date.now() + offset.current + ENSEMBLE_LEAD_MS)
    engine?.send({ type: 'METRONOME_START', bpm, beatsPerBar: beats, startAt })
  }

  return (
    <section className="card" aria-labelledby="metronome-title">
      <h2 id="metronome-title" className="font-semibold">
        {t('metronome.title')}
      </h2>
      <div className="mt-3 grid gap-3 sm:grid-cols-2">
        <label className="label">
          {t('metronome.tempo')}: {bpm}
          <input
            className="mt-2 w-full accent-sage-700"
            type="range"
            min={20}
            max={400}
            value={bpm}
            onChange={(e) => setBpm(Number(e.target.value))}
          />
        </label>
        <label className="label">
          {t('metronome.beats')}
          <input className="field" type="number" min={1} max={16} value={beats} onChange={(e) => setBeats(Math.max(1, Math.min(16, Number(e.target.value) || 1)))} />
        </label>
      </div>
      <div className="mt-3 flex gap-1" aria-hidden="true">
        {Array.from({ length: beats }, (_, i) => (
          <span key={i} className={`h-3 w-3 rounded-full ${i === beat ? 'bg-sage-700' : 'bg-sage-200'}`} />
        ))}
      </div>
      <p role="status" className="mt-2 text-sm text-sage-700" data-testid="metronome-state">
        {playing !== null ? t('metronome.playing', { bpm: playing }) : ''}
      </p>
      <div className="mt-3 flex flex-wrap gap-2">
        {playing === null ? (
          <button type="button" className="btn" onClick={start}>
            {t('metronome.start')}
          </button>
        ) : (
          <button type="button" className="btn" onClick={stop}>
            {t('metronome.stop')}
          </button>
        )}
        {engine ? (
          <button type="button" className="btn-quiet" onClick={ensemble}>
            {t('metronome.ensemble')}
          </button>
        ) : (
          <p className="text-sm text-sage-600">{t('metronome.ensembleHint')}</p>
        )}
      </div>
    </section>
  )
}

function CounterTool() {
  const { t } = useI18n()
  const [count, setCount] = useState(0)
  return (
    <section className="card" aria-labelledby="counter-title">
      <h2 id="counter-title" className="font-semibold">
        {t('counter.title')}
      </h2>
      <p className="mt-2 text-2xl tabular-nums" role="status" data-testid="counter">
        {t('counter.count', { count })}
      </p>
      <div className="mt-3 flex gap-2">
        <button type="button" className="btn" onClick={() => setCount(count + 1)}>
          {t('counter.increment')}
        </button>
        <button type="button" className="btn-quiet" onClick={() => setCount(0)}>
          {t('counter.reset')}
        </button>
      </div>
    </section>
  )
}

function CircleOfFifths() {
  const { t } = useI18n()
  const [selected, setSelected] = useState(0)
  const near = neighbours(selected)
  const key = CIRCLE[selected]
  return (
    <section className="card" aria-labelledby="circle-title">
      <h2 id="circle-title" className="font-semibold">
        {t('circle.title')}
      </h2>
      <div className="relative mx-auto mt-4 aspect-square w-full max-w-72">
        {CIRCLE.map((k, i) => {
          const angle = (i / 12) * 2 * Math.PI - Math.PI / 2
          const x = 50 + 40 * Math.cos(angle)
          const y = 50 + 40 * Math.sin(angle)
          const state = i === selected ? 'bg-sage-700 text-sage-50' : near.includes(i) ? 'bg-sage-200' : 'bg-white'
          return (
            <button
              key={k.major}
              type="button"
              aria-pressed={i === selected}
              className={`absolute flex h-11 w-11 -translate-x-1/2 -translate-y-1/2 items-center justify-center rounded-full border border-sage-300 text-xs font-semibold ${state}`}
              style={{ left: `${x}%`, top: `${y}%` }}
              onClick={() => setSelected(i)}
            >
              {k.major}
            </button>
          )
        })}
      </div>
      <p className="mt-2 text-center text-sm" role="status" data-testid="circle-selected">
        {t('circle.selected', { major: key.major, minor: key.minor, signature: key.signature })}
      </p>
    </section>
  )
}

export default function Toolbox() {
  const { t } = useI18n()
  return (
    <Page title={t('toolbox.title')}>
      <p className="mt-2">
        <Link to="/toolbox/dictionary" className="underline">
          {t('dictionary.title')}
        </Link>
      </p>
      <div className="mt-6 grid gap-6 md:grid-cols-2">
        <MetronomeTool />
        <CounterTool />
        <CircleOfFifths />
      </div>
    </Page>
  )
}
