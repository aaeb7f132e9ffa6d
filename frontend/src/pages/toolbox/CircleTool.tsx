import { useI18n } from '../../i18n'
import { CIRCLE, neighbours } from '../../lib/circle'
import { playKey } from '../../lib/tools/synth'
import { keyInfo } from '../../lib/tools/theory'
import { usePersistent } from './state'
import type { TunerSettings } from './TunerTool'

/** The circle of fifths that sounds: a key's tonic chord and scale, signature and chords. */
export function CircleTool({ tuner }: { tuner: TunerSettings }) {
  const { t } = useI18n()
  const [selected, setSelected] = usePersistent('circle', 0, (i) => (Number.isInteger(i) && i >= 0 && i < 12 ? i : 0))
  const near = neighbours(selected)
  const key = CIRCLE[selected]
  const info = keyInfo(selected, tuner.notation)
  const choose = (i: number) => {
    setSelected(i)
    const k = keyInfo(i)
    playKey(k.triad, k.scaleMidi)
  }
  const signature = info.signature === 0 ? t('circle.noAccidentals') : info.signature > 0 ? t('circle.sharps', { count: info.signature }) : t('circle.flats', { count: -info.signature })
  return (
    <section className="card" aria-labelledby="circle-title">
      <h2 id="circle-title" className="font-semibold">
        {t('circle.title')}
      </h2>
      <p className="mt-1 text-sm text-sage-700">{t('circle.hint')}</p>
      <div className="grid gap-4 md:grid-cols-2">
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
                onClick={() => choose(i)}
              >
                {k.major}
              </button>
            )
          })}
          <p className="absolute inset-0 m-auto flex h-16 w-24 flex-col items-center justify-center text-center text-xs text-sage-700" aria-hidden="true">
            <span className="text-lg font-semibold text-sage-900">{info.tonic}</span>
            {info.relativeMinor}m
          </p>
        </div>
        <div className="mt-4 space-y-2 text-sm">
          <p role="status" data-testid="circle-selected" className="font-medium">
            {t('circle.selected', { major: key.major, minor: key.minor, signature: key.signature })}
          </p>
          <p>
            {t('circle.signature')}: {signature}
          </p>
          <p>
            {t('circle.relative')}: {info.relativeMinor} {t('circle.minor')}
          </p>
          <p>
            {t('circle.scale')}: <span data-testid="circle-scale">{info.scale.join(' ')}</span>
          </p>
          <table className="w-full text-center">
            <caption className="text-left font-medium">{t('circle.chords')}</caption>
            <thead>
              <tr>
                {info.chords.map((c) => (
                  <th key={c.numeral} scope="col" className="px-1 font-normal text-sage-700">
                    {c.numeral}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              <tr data-testid="circle-chords">
                {info.chords.map((c) => (
                  <td key={c.numeral} className="px-1 font-semibold">
                    {c.name}
                  </td>
                ))}
              </tr>
            </tbody>
          </table>
          <button type="button" className="btn-quiet" onClick={() => playKey(info.triad, info.scaleMidi)}>
            {t('circle.play')}
          </button>
        </div>
      </div>
    </section>
  )
}
