import { useSyncExternalStore } from 'react'
import { useI18n } from '../../i18n'
import { drone, DRONE_MAX_MIDI, DRONE_MIN_MIDI, type DroneSettings, type DroneTimbre } from '../../lib/tools/drone'
import { midiFrequency, pitchClassName } from '../../lib/tools/notes'
import { usePersistent } from './state'
import type { TunerSettings } from './TunerTool'

const DEFAULT_DRONE: DroneSettings = { midi: 57, timbre: 'rich', fifth: false, volume: 0.6, a4: 440 }

function sanitizeDrone(raw: DroneSettings): DroneSettings {
  return {
    midi: Math.min(DRONE_MAX_MIDI, Math.max(DRONE_MIN_MIDI, Math.round(Number(raw.midi)) || 57)),
    timbre: raw.timbre === 'sine' ? 'sine' : 'rich',
    fifth: Boolean(raw.fifth),
    volume: Math.min(1, Math.max(0, Number(raw.volume) || 0)),
    a4: 440,
  }
}

/** Reference pitch: keeps sounding while the user goes to other pages, until stopped. */
export function DroneTool({ tuner }: { tuner: TunerSettings }) {
  const { t } = useI18n()
  const [settings, setSettings] = usePersistent<DroneSettings>('drone', DEFAULT_DRONE, sanitizeDrone)
  const playing = useSyncExternalStore(
    (listener) => drone.subscribe(listener),
    () => drone.playing,
  )
  const name = (midi: number) => `${pitchClassName(midi, tuner.notation, tuner.accidental)}${Math.floor(midi / 12) - 1}`
  const change = (next: Partial<DroneSettings>) => {
    const merged = sanitizeDrone({ ...settings, ...next })
    setSettings(merged)
    if (playing) drone.play({ ...merged, a4: tuner.a4 })
  }
  const pitchClass = settings.midi % 12
  const octave = Math.floor(settings.midi / 12) - 1

  return (
    <section className="card" aria-labelledby="drone-title">
      <h2 id="drone-title" className="font-semibold">
        {t('drone.title')}
      </h2>
      <p className="mt-1 text-sm text-sage-700">{t('drone.hint')}</p>
      <fieldset className="mt-4">
        <legend className="label">{t('drone.note')}</legend>
        <div className="mt-1 grid grid-cols-6 gap-1 sm:grid-cols-12">
          {Array.from({ length: 12 }, (_, pc) => (
            <button key={pc} type="button" aria-pressed={pc === pitchClass} className={`h-11 rounded-md border text-sm font-semibold ${pc === pitchClass ? 'border-sage-800 bg-sage-700 text-sage-50' : 'border-sage-300 bg-white'}`} onClick={() => change({ midi: (octave + 1) * 12 + pc })}>
              {pitchClassName(pc, tuner.notation, tuner.accidental)}
            </button>
          ))}
        </div>
      </fieldset>
      <div className="mt-3 grid gap-3 sm:grid-cols-3">
        <label className="label">
          {t('drone.octave')}
          <select className="field" value={octave} onChange={(e) => change({ midi: (Number(e.target.value) + 1) * 12 + pitchClass })}>
            {[2, 3, 4, 5].map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
        <label className="label">
          {t('drone.timbre')}
          <select className="field" value={settings.timbre} onChange={(e) => change({ timbre: e.target.value as DroneTimbre })}>
            <option value="sine">{t('drone.sine')}</option>
            <option value="rich">{t('drone.rich')}</option>
          </select>
        </label>
        <label className="label">
          {t('metronome.volume')}: {Math.round(settings.volume * 100)}%
          <input className="mt-3 w-full accent-sage-700" type="range" min={0} max={100} value={Math.round(settings.volume * 100)} onChange={(e) => change({ volume: Number(e.target.value) / 100 })} />
        </label>
      </div>
      <label className="mt-3 flex items-center gap-2 text-sm">
        <input type="checkbox" checked={settings.fifth} onChange={(e) => change({ fifth: e.target.checked })} />
        {t('drone.fifth')}
      </label>
      <p className="mt-3 text-sm" role="status" data-testid="drone-state">
        {playing ? t('drone.playing', { note: name(settings.midi), hz: midiFrequency(settings.midi, tuner.a4).toFixed(1) }) : ''}
      </p>
      <div className="mt-3">
        {playing ? (
          <button type="button" className="btn" onClick={() => drone.stop()}>
            {t('drone.stop')}
          </button>
        ) : (
          <button type="button" className="btn" onClick={() => drone.play({ ...settings, a4: tuner.a4 })}>
            {t('drone.start')}
          </button>
        )}
      </div>
    </section>
  )
}
