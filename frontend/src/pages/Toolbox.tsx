import { useRef, type KeyboardEvent } from 'react'
import { Link, useSearchParams } from 'react-router'
import { Page } from '../components/Page'
import { useI18n } from '../i18n'
import { DEFAULT_SETTINGS, type MetronomeSettings } from '../lib/tools/clicks'
import { CircleTool } from './toolbox/CircleTool'
import { CounterTool } from './toolbox/CounterTool'
import { DroneTool } from './toolbox/DroneTool'
import { MetronomeTool } from './toolbox/MetronomeTool'
import { sanitizeSettings, usePersistent } from './toolbox/state'
import { DEFAULT_TUNER, sanitizeTuner, TunerTool, type TunerSettings } from './toolbox/TunerTool'

const TOOLS = ['metronome', 'tuner', 'drone', 'circle', 'counter'] as const
type Tool = (typeof TOOLS)[number]

export default function Toolbox() {
  const { t } = useI18n()
  const [params, setParams] = useSearchParams()
  const [lastTool, setLastTool] = usePersistent<Tool>('tool', 'metronome', (v) => (TOOLS.includes(v) ? v : 'metronome'))
  const asked = params.get('tool') as Tool | null
  const tool: Tool = asked && TOOLS.includes(asked) ? asked : lastTool
  // Read-only views of the other tools' saved settings (names in the user's notation, the tempo to log).
  const [tuner] = usePersistent<TunerSettings>('tuner', DEFAULT_TUNER, sanitizeTuner)
  const [metronome] = usePersistent<MetronomeSettings>('metronome', DEFAULT_SETTINGS, sanitizeSettings)
  const tabs = useRef<(HTMLButtonElement | null)[]>([])

  const open = (next: Tool) => {
    setLastTool(next)
    const kept = new URLSearchParams(params)
    kept.set('tool', next)
    setParams(kept, { replace: true })
  }
  // Tabs follow the WAI-ARIA pattern: arrows move between them.
  const onTabKey = (event: KeyboardEvent, index: number) => {
    const move = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0
    if (!move) return
    event.preventDefault()
    const next = (index + move + TOOLS.length) % TOOLS.length
    open(TOOLS[next])
    tabs.current[next]?.focus()
  }

  return (
    <Page title={t('toolbox.title')}>
      <p className="mt-2">
        <Link to="/toolbox/dictionary" className="underline">
          {t('dictionary.title')}
        </Link>
      </p>
      <div role="tablist" aria-label={t('toolbox.tools')} className="mt-4 flex gap-1 overflow-x-auto border-b border-sage-200">
        {TOOLS.map((name, i) => (
          <button
            key={name}
            ref={(el) => {
              tabs.current[i] = el
            }}
            type="button"
            role="tab"
            id={`tab-${name}`}
            aria-selected={tool === name}
            aria-controls={`panel-${name}`}
            tabIndex={tool === name ? 0 : -1}
            className={`shrink-0 border-b-2 px-3 py-2 text-sm font-medium ${tool === name ? 'border-sage-700 text-sage-900' : 'border-transparent text-sage-700 hover:text-sage-900'}`}
            onClick={() => open(name)}
            onKeyDown={(e) => onTabKey(e, i)}
          >
            {t(`toolbox.${name}`)}
          </button>
        ))}
      </div>
      {/* Every panel stays mounted: the metronome keeps playing (and following ensemble starts) while another tool is open. */}
      {TOOLS.map((name) => (
        <div key={name} role="tabpanel" id={`panel-${name}`} aria-labelledby={`tab-${name}`} hidden={tool !== name} className="mt-4">
          {name === 'metronome' && <MetronomeTool active={tool === 'metronome'} />}
          {name === 'tuner' && <TunerTool />}
          {name === 'drone' && <DroneTool tuner={tuner} />}
          {name === 'circle' && <CircleTool tuner={tuner} />}
          {name === 'counter' && <CounterTool bpm={metronome.bpm} initialPiece={params.get('piece') ?? ''} />}
        </div>
      ))}
    </Page>
  )
}
