import { useEffect, useRef, useState, type RefObject } from 'react'
import { Link, useSearchParams } from 'react-router'
import { useI18n } from '../../i18n'
import { newId } from '../../lib/ids'
import { Metronome, clockOffset } from '../../lib/metronome'
import { asItems, itemTitle } from '../../lib/repertoire'
import { DEFAULT_SETTINGS, VOICES, type Click, type MetronomeSettings } from '../../lib/tools/clicks'
import { defaultAccents, meterById, METERS, nextAccent, SUBDIVISIONS, type Accent } from '../../lib/tools/meter'
import { clampBpm, MAX_BPM, MIN_BPM, TapTempo, tempoName } from '../../lib/tools/tempo'
import { useDocuments, useServices } from '../../services'
import { sanitizeSettings, usePersistent, useToolboxDoc, type Preset } from './state'

/** Lead time for an ensemble start: enough for the frame to reach every device. */
const ENSEMBLE_LEAD_MS = 1500

const ACCENT_HEIGHT: Record<Accent, string> = { strong: 'h-10', medium: 'h-7', weak: 'h-4', silent: 'h-1' }

/** The metronome engine outlives the component only while playing on this page. */
function useEngine() {
  const ref = useRef<Metronome | null>(null)
  ref.current ??= new Metronome()
  useEffect(() => () => ref.current?.stop(), [])
  return ref.current
}

/** The beat that is sounding now, read from the audio clock on every animation frame. */
function useCurrentClick(engine: Metronome, playing: boolean, pendulum: RefObject<HTMLDivElement | null>): Click | null {
  const [click, setClick] = useState<Click | null>(null)
  useEffect(() => {
    if (!playing) {
      setClick(null)
      if (pendulum.current) pendulum.current.style.transform = 'rotate(0deg)'
      return
    }
    let frame = 0
    const tick = () => {
      const context = engine.audioContext as AudioContext
      const latency = (context.outputLatency || 0) + (context.baseLatency || 0)
      const now = context.currentTime - latency
      const current = engine.current(now)
      setClick((previous) => (previous?.time === current?.time ? previous : current))
      // The pendulum reaches one side on each beat, swinging in between (a beat's length per swing).
      if (pendulum.current && current) {
        const progress = Math.min(1, Math.max(0, (now - current.time) / (60 / current.bpm)))
        const side = current.beat % 2 === 0 ? -1 : 1
        pendulum.current.style.transform = `rotate(${side * 28 * Math.cos(Math.PI * progress)}deg)`
      }
      frame = requestAnimationFrame(tick)
    }
    frame = requestAnimationFrame(tick)
    return () => cancelAnimationFrame(frame)
  }, [engine, playing, pendulum])
  return click
}

export function MetronomeTool({ active }: { active: boolean }) {
  const { t } = useI18n()
  const { engine: sync } = useServices()
  const metronome = useEngine()
  const [params, setParams] = useSearchParams()
  const [settings, setSettingsState] = usePersistent<MetronomeSettings>('metronome', DEFAULT_SETTINGS, sanitizeSettings)
  const [playing, setPlaying] = useState<number | null>(null)
  const [tapped, setTapped] = useState(false)
  const tap = useRef(new TapTempo())
  const offset = useRef(0)
  const pendulum = useRef<HTMLDivElement>(null)
  const click = useCurrentClick(metronome, playing !== null, pendulum)
  const meter = meterById(settings.meter)
  const pieces = asItems(useDocuments('repertoire_item'))
  const { doc, update } = useToolboxDoc()
  const [presetName, setPresetName] = useState('')
  const [pieceId, setPieceId] = useState(params.get('piece') ?? '')
  const [message, setMessage] = useState('')

  const setSettings = (change: Partial<MetronomeSettings>) => setSettingsState((current) => sanitizeSettings({ ...current, ...change }))

  // Changes are heard from the next beat.
  useEffect(() => {
    if (metronome.running) metronome.update(settings)
  }, [metronome, settings])

  // A piece's preset opened from its repertoire page (`?piece=<id>`), or a preset by id.
  const wanted = params.get('preset') ?? (params.get('piece') ? doc.presets.find((p) => p.pieceId === params.get('piece'))?.id : undefined)
  const appliedPreset = useRef<string | null>(null)
  useEffect(() => {
    if (!wanted || appliedPreset.current === wanted) return
    const preset = doc.presets.find((p) => p.id === wanted)
    if (!preset) return
    appliedPreset.current = wanted
    setSettingsState(preset.settings)
    setPresetName(preset.name)
    if (preset.pieceId) setPieceId(preset.pieceId)
    setMessage(t('metronome.presetLoaded', { name: preset.name }))
  }, [wanted, doc.presets, setSettingsState, t])

  const start = (atEpochMs?: number, override?: MetronomeSettings) => {
    metronome.play(override ?? settings, atEpochMs)
    setPlaying((override ?? settings).bpm)
  }
  const stop = (broadcast = true) => {
    metronome.stop()
    setPlaying(null)
    if (broadcast) sync?.send({ type: 'METRONOME_STOP' })
  }
  const toggle = () => (playing === null ? start() : stop())

  // Ensemble: learn the server clock offset, and follow starts and stops from any device.
  const latest = useRef(settings)
  latest.current = settings
  useEffect(() => {
    if (!sync) return
    let sentAt = 0
    const off = sync.onFrame((frame) => {
      if (frame.type === 'CLOCK_SYNC' && typeof frame.serverTime === 'number') {
        offset.current = clockOffset(sentAt, frame.serverTime, Date.now())
      } else if (frame.type === 'METRONOME_START' && typeof frame.bpm === 'number') {
        const beats = Number(frame.beatsPerBar) || 4
        const current = latest.current
        const meterId = meterById(current.meter).beats === beats ? current.meter : (METERS.find((m) => m.beats === beats && m.unit === 4) ?? METERS.find((m) => m.beats === beats))?.id
        // Every device plays the shared tempo and bar length; the trainer would drift apart.
        const shared = sanitizeSettings({ ...current, bpm: frame.bpm, ...(meterId && meterId !== current.meter ? { meter: meterId, accents: undefined } : {}), trainer: { ...current.trainer, enabled: false } })
        setSettingsState(shared)
        const startAt = typeof frame.startAt === 'number' ? frame.startAt - offset.current : undefined
        metronome.play(shared, startAt)
        setPlaying(shared.bpm)
      } else if (frame.type === 'METRONOME_STOP') {
        metronome.stop()
        setPlaying(null)
      }
    })
    sentAt = Date.now()
    sync.send({ type: 'CLOCK_SYNC', clientTime: sentAt })
    return off
  }, [sync, metronome, setSettingsState])

  const ensemble = () => {
    const startAt = Math.round(Date.now() + offset.current + ENSEMBLE_LEAD_MS)
    sync?.send({ type: 'METRONOME_START', bpm: settings.bpm, beatsPerBar: meter.beats, startAt })
  }

  const onTap = () => {
    const bpm = tap.current.tap(performance.now())
    setTapped(true)
    if (bpm !== null) setSettings({ bpm })
  }

  // Keyboard, while the metronome is shown, anywhere on the page but in a field or on a control: arrows change the tempo
  // (Shift: by 10), space starts and stops.
  const keys = useRef<(event: KeyboardEvent) => void>(() => {})
  keys.current = (event: KeyboardEvent) => {
    const target = event.target as HTMLElement
    if (!active || event.altKey || event.ctrlKey || event.metaKey || ['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON', 'A'].includes(target.tagName)) return
    if (event.key === ' ') {
      event.preventDefault()
      toggle()
    } else if (['ArrowUp', 'ArrowRight', 'ArrowDown', 'ArrowLeft'].includes(event.key)) {
      event.preventDefault()
      const step = (event.shiftKey ? 10 : 1) * (event.key === 'ArrowUp' || event.key === 'ArrowRight' ? 1 : -1)
      setSettings({ bpm: clampBpm(settings.bpm + step) })
    }
  }
  useEffect(() => {
    const listener = (event: KeyboardEvent) => keys.current(event)
    window.addEventListener('keydown', listener)
    return () => window.removeEventListener('keydown', listener)
  }, [])

  const savePreset = async () => {
    const name = presetName.trim()
    if (!name) return
    const existing = doc.presets.find((p) => p.name === name)
    const preset: Preset = { id: existing?.id ?? newId('preset'), name, settings, ...(pieceId ? { pieceId } : {}) }
    await update((d) => ({ ...d, presets: [...d.presets.filter((p) => p.id !== preset.id), preset] }))
    setMessage(t('metronome.presetSaved', { name }))
  }
  const loadPreset = (preset: Preset) => {
    setSettingsState(preset.settings)
    setPresetName(preset.name)
    setPieceId(preset.pieceId ?? '')
    setMessage(t('metronome.presetLoaded', { name: preset.name }))
  }
  const deletePreset = async (preset: Preset) => {
    await update((d) => ({ ...d, presets: d.presets.filter((p) => p.id !== preset.id) }))
    if (params.get('preset') === preset.id) setParams({ tool: 'metronome' })
  }

  const term = tempoName(click?.bpm ?? settings.bpm)
  const shownBpm = playing !== null && click ? click.bpm : settings.bpm
  const flash = click && !click.muted && click.accent !== 'silent' ? click : null

  return (
    <section className="card" aria-labelledby="metronome-title">
      <h2 id="metronome-title" className="font-semibold">
        {t('metronome.title')}
      </h2>
      <p className="mt-1 text-sm text-sage-700">{t('metronome.keys')}</p>
      <div className="mt-4 grid gap-6 md:grid-cols-2">
        <div className="flex flex-col items-center gap-3">
          <div className="relative h-16 w-32 overflow-hidden" aria-hidden="true">
            <div ref={pendulum} className="absolute bottom-0 left-1/2 h-16 w-1 origin-bottom -translate-x-1/2 rounded-full bg-sage-600">
              <span className="absolute -left-1.5 top-0 h-4 w-4 rounded-full bg-sage-700" />
            </div>
          </div>
          <div
            data-testid="beat-flash"
            data-beat={click ? click.beat : ''}
            aria-hidden="true"
            className={`flex h-24 w-24 items-center justify-center rounded-full border-4 text-3xl font-semibold tabular-nums transition-colors duration-75 ${
              flash ? (flash.accent === 'strong' ? 'border-sage-800 bg-sage-700 text-sage-50' : 'border-sage-600 bg-sage-300 text-sage-900') : 'border-sage-300 bg-sage-50 text-sage-700'
            }`}
          >
            {click ? click.beat + 1 : '·'}
          </div>
          <div className="flex items-center gap-3">
            <button type="button" className="btn-quiet h-11 w-11 text-xl" aria-label={t('metronome.slower')} onClick={() => setSettings({ bpm: settings.bpm - 1 })}>
              −
            </button>
            <p className="text-center">
              <span className="block text-4xl font-semibold tabular-nums" data-testid="bpm">
                {shownBpm}
              </span>
              <span className="text-sm text-sage-700">BPM · </span>
              <Link className="text-sm underline" to={`/toolbox/dictionary/${term.toLowerCase()}`}>
                {term}
              </Link>
            </p>
            <button type="button" className="btn-quiet h-11 w-11 text-xl" aria-label={t('metronome.faster')} onClick={() => setSettings({ bpm: settings.bpm + 1 })}>
              +
            </button>
          </div>
          <label className="label w-full">
            <span className="sr-only">{t('metronome.tempo')}</span>
            <input className="w-full accent-sage-700" type="range" min={MIN_BPM} max={MAX_BPM} value={settings.bpm} aria-label={t('metronome.tempo')} onChange={(e) => setSettings({ bpm: Number(e.target.value) })} />
          </label>
          <div className="flex w-full flex-wrap justify-center gap-2">
            <button type="button" className="btn min-w-28" onClick={toggle}>
              {playing === null ? t('metronome.start') : t('metronome.stop')}
            </button>
            <button type="button" className="btn-quiet" onClick={onTap}>
              {t('metronome.tap')}
            </button>
          </div>
          {tapped && <p className="text-xs text-sage-700">{t('metronome.tapHint')}</p>}
          <p role="status" className="min-h-5 text-sm text-sage-700" data-testid="metronome-state">
            {playing !== null ? t('metronome.playing', { bpm: playing }) : ''}
          </p>
        </div>

        <div className="space-y-4">
          <div className="grid grid-cols-2 gap-3">
            <label className="label">
              {t('metronome.meter')}
              <select className="field" value={settings.meter} onChange={(e) => setSettings({ meter: e.target.value, accents: defaultAccents(meterById(e.target.value)) })}>
                {METERS.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.id}
                  </option>
                ))}
              </select>
            </label>
            <label className="label">
              {t('metronome.subdivision')}
              <select className="field" value={settings.subdivision} onChange={(e) => setSettings({ subdivision: e.target.value as MetronomeSettings['subdivision'] })}>
                {SUBDIVISIONS.map((s) => (
                  <option key={s} value={s}>
                    {t(`metronome.sub.${s}`)}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <fieldset>
            <legend className="label">{t('metronome.accents')}</legend>
            <div className="mt-1 flex flex-wrap items-end gap-1" data-testid="accents">
              {settings.accents.map((accent, i) => (
                <button
                  key={i}
                  type="button"
                  aria-label={t('metronome.beatAccent', { beat: i + 1, accent: t(`metronome.accent.${accent}`) })}
                  title={t(`metronome.accent.${accent}`)}
                  data-accent={accent}
                  className={`flex h-16 w-9 flex-col items-center justify-end gap-0.5 rounded-md border ${click?.beat === i ? 'border-sage-800 bg-sage-200' : 'border-sage-300 bg-white'} pb-1 text-xs`}
                  onClick={() => setSettings({ accents: settings.accents.map((a, j) => (j === i ? nextAccent(a) : a)) })}
                >
                  <span className={`w-5 rounded-sm ${accent === 'silent' ? 'bg-sage-200' : 'bg-sage-600'} ${ACCENT_HEIGHT[accent]}`} aria-hidden="true" />
                  <span aria-hidden="true">{i + 1}</span>
                </button>
              ))}
            </div>
            <p className="mt-1 text-xs text-sage-700">{t('metronome.accentHint')}</p>
          </fieldset>
          <div className="grid grid-cols-2 gap-3">
            <label className="label">
              {t('metronome.sound')}
              <select className="field" value={settings.voice} onChange={(e) => setSettings({ voice: e.target.value as MetronomeSettings['voice'] })}>
                {VOICES.map((v) => (
                  <option key={v} value={v}>
                    {t(`metronome.voice.${v}`)}
                  </option>
                ))}
              </select>
            </label>
            <label className="label">
              {t('metronome.volume')}: {Math.round(settings.volume * 100)}%
              <input className="mt-3 w-full accent-sage-700" type="range" min={0} max={100} value={Math.round(settings.volume * 100)} onChange={(e) => setSettings({ volume: Number(e.target.value) / 100 })} />
            </label>
          </div>
          {settings.subdivision !== 'none' && (
            <label className="label">
              {t('metronome.subdivisionVolume')}: {Math.round(settings.subdivisionVolume * 100)}%
              <input className="mt-1 w-full accent-sage-700" type="range" min={0} max={100} value={Math.round(settings.subdivisionVolume * 100)} onChange={(e) => setSettings({ subdivisionVolume: Number(e.target.value) / 100 })} />
            </label>
          )}
        </div>
      </div>

      <div className="mt-6 grid gap-4 md:grid-cols-2">
        <fieldset className="rounded-md border border-sage-200 p-3">
          <legend className="px-1 text-sm font-semibold">{t('metronome.trainer')}</legend>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={settings.trainer.enabled} onChange={(e) => setSettings({ trainer: { ...settings.trainer, enabled: e.target.checked } })} />
            {t('metronome.trainerOn')}
          </label>
          <div className="mt-2 grid grid-cols-2 gap-2">
            {(['start', 'target', 'step', 'barsPerStep'] as const).map((field) => (
              <label key={field} className="label">
                {t(`metronome.trainer.${field}`)}
                <input
                  className="field"
                  type="number"
                  min={field === 'start' || field === 'target' ? MIN_BPM : 1}
                  max={field === 'start' || field === 'target' ? MAX_BPM : 64}
                  value={settings.trainer[field]}
                  onChange={(e) => setSettings({ trainer: { ...settings.trainer, [field]: Number(e.target.value) } })}
                />
              </label>
            ))}
          </div>
          {playing !== null && settings.trainer.enabled && click && (
            <p className="mt-2 text-sm" data-testid="trainer-state">
              {t('metronome.trainerState', { bar: click.bar + 1, bpm: click.bpm })}
            </p>
          )}
        </fieldset>
        <fieldset className="rounded-md border border-sage-200 p-3">
          <legend className="px-1 text-sm font-semibold">{t('metronome.gap')}</legend>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={settings.gap.enabled} onChange={(e) => setSettings({ gap: { ...settings.gap, enabled: e.target.checked } })} />
            {t('metronome.gapOn')}
          </label>
          <div className="mt-2 grid grid-cols-2 gap-2">
            {(['play', 'mute'] as const).map((field) => (
              <label key={field} className="label">
                {t(`metronome.gap.${field}`)}
                <input className="field" type="number" min={1} max={32} value={settings.gap[field]} onChange={(e) => setSettings({ gap: { ...settings.gap, [field]: Number(e.target.value) } })} />
              </label>
            ))}
          </div>
          {playing !== null && settings.gap.enabled && click && <p className="mt-2 text-sm">{click.muted ? t('metronome.gapSilent') : t('metronome.gapPlaying')}</p>}
        </fieldset>
      </div>

      <section className="mt-6" aria-labelledby="presets-title">
        <h3 id="presets-title" className="text-sm font-semibold">
          {t('metronome.presets')}
        </h3>
        <div className="mt-2 grid gap-2 sm:grid-cols-[1fr_1fr_auto] sm:items-end">
          <label className="label">
            {t('metronome.presetName')}
            <input className="field" value={presetName} maxLength={60} onChange={(e) => setPresetName(e.target.value)} />
          </label>
          <label className="label">
            {t('metronome.presetPiece')}
            <select className="field" value={pieceId} onChange={(e) => setPieceId(e.target.value)}>
              <option value="">{t('metronome.noPiece')}</option>
              {pieces.map((p) => (
                <option key={p.id} value={p.id}>
                  {itemTitle(p)}
                </option>
              ))}
            </select>
          </label>
          <button type="button" className="btn" disabled={!presetName.trim()} onClick={() => void savePreset()}>
            {t('metronome.savePreset')}
          </button>
        </div>
        <p role="status" className="mt-2 min-h-5 text-sm text-sage-700" data-testid="preset-message">
          {message}
        </p>
        {doc.presets.length === 0 ? (
          <p className="text-sm text-sage-700">{t('metronome.noPresets')}</p>
        ) : (
          <ul className="mt-1 divide-y divide-sage-100" data-testid="presets">
            {doc.presets.map((preset) => {
              const piece = pieces.find((p) => p.id === preset.pieceId)
              return (
                <li key={preset.id} className="flex flex-wrap items-center gap-2 py-2 text-sm">
                  <span className="font-medium">{preset.name}</span>
                  <span className="text-sage-700">
                    {preset.settings.bpm} BPM · {preset.settings.meter}
                    {piece ? ` · ${itemTitle(piece)}` : ''}
                  </span>
                  <span className="ml-auto flex gap-2">
                    <button type="button" className="btn-quiet" aria-label={t('metronome.loadPreset', { name: preset.name })} onClick={() => loadPreset(preset)}>
                      {t('metronome.load')}
                    </button>
                    <button type="button" className="btn-quiet" aria-label={t('metronome.deletePreset', { name: preset.name })} onClick={() => void deletePreset(preset)}>
                      {t('common.delete')}
                    </button>
                  </span>
                </li>
              )
            })}
          </ul>
        )}
      </section>

      <div className="mt-4 flex flex-wrap items-center gap-2 border-t border-sage-100 pt-4">
        {sync ? (
          <button type="button" className="btn-quiet" onClick={ensemble}>
            {t('metronome.ensemble')}
          </button>
        ) : (
          <p className="text-sm text-sage-700">{t('metronome.ensembleHint')}</p>
        )}
      </div>
    </section>
  )
}
