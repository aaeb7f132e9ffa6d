import { useEffect, useRef, useState } from 'react'
import { useI18n } from '../../i18n'

const BARS = 120

/** Peaks reduced to the bars drawn (each bar the loudest of its share). */
function bars(peaks: readonly number[]): number[] {
  if (peaks.length <= BARS) return [...peaks]
  return Array.from({ length: BARS }, (_, bar) => {
    const slice = peaks.slice(Math.floor((bar * peaks.length) / BARS), Math.floor(((bar + 1) * peaks.length) / BARS))
    return Math.max(...slice)
  })
}

function clock(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds))
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`
}

/**
 * Play/pause and a waveform to seek in. The audio is only fetched on the first play or seek
 * (`load` gives it: from the server, or the device's own copy while it waits to upload).
 */
export function RecordingPlayer({
  load,
  durationMs,
  peaks,
  pending,
  refused,
  onDiscard,
}: {
  load: () => Promise<Blob>
  durationMs: number
  peaks: readonly number[]
  pending?: boolean
  /** Why the server refused this take for good; it will not be sent again. */
  refused?: string
  onDiscard?: () => void
}) {
  const { t } = useI18n()
  const audio = useRef<HTMLAudioElement>(null)
  const [url, setUrl] = useState<string | null>(null)
  const [playing, setPlaying] = useState(false)
  const [position, setPosition] = useState(0)
  const duration = durationMs / 1000

  useEffect(() => () => void (url && URL.revokeObjectURL(url)), [url])

  async function ready(): Promise<HTMLAudioElement | null> {
    const element = audio.current
    if (!element) return null
    if (!url) {
      const next = URL.createObjectURL(await load())
      element.src = next
      setUrl(next)
    }
    return element
  }

  async function toggle() {
    const element = await ready()
    if (!element) return
    if (element.paused) await element.play()
    else element.pause()
  }

  async function seek(fraction: number) {
    const element = await ready()
    if (!element) return
    element.currentTime = Math.min(duration, Math.max(0, fraction * duration))
    setPosition(element.currentTime)
  }

  const drawn = bars(peaks)
  const played = duration > 0 ? position / duration : 0
  return (
    <div data-testid="recording-player" className="mt-2 flex items-center gap-3">
      <button type="button" className="btn-quiet" onClick={() => void toggle()} aria-label={playing ? t('recording.pause') : t('recording.play')}>
        {playing ? '❚❚' : '▶'}
      </button>
      <div
        role="slider"
        tabIndex={0}
        aria-label={t('recording.waveform')}
        aria-valuemin={0}
        aria-valuemax={Math.round(duration)}
        aria-valuenow={Math.round(position)}
        data-testid="waveform"
        className="flex h-10 flex-1 cursor-pointer items-center gap-px"
        onClick={(event) => {
          const box = event.currentTarget.getBoundingClientRect()
          void seek((event.clientX - box.left) / box.width)
        }}
        onKeyDown={(event) => {
          if (event.key === 'ArrowRight') void seek((position + 5) / duration)
          if (event.key === 'ArrowLeft') void seek((position - 5) / duration)
        }}
      >
        {drawn.length === 0 ? (
          <div className="h-px w-full bg-sage-400" />
        ) : (
          drawn.map((peak, index) => (
            <span
              key={index}
              className={`flex-1 rounded-sm ${index / drawn.length < played ? 'bg-sage-700' : 'bg-sage-300'}`}
              style={{ height: `${Math.max(4, peak * 100)}%` }}
            />
          ))
        )}
      </div>
      <span className="font-mono text-sm tabular-nums text-sage-700">
        {clock(position)} / {clock(duration)}
      </span>
      {pending && !refused && <span className="text-xs text-sage-700">{t('recording.pending')}</span>}
      {refused && (
        <span role="alert" className="flex flex-wrap items-center gap-2 text-xs text-red-700">
          {t('recording.refused', { reason: refused })}
          {onDiscard && (
            <button type="button" className="btn-quiet" onClick={onDiscard}>
              {t('recording.discard')}
            </button>
          )}
        </span>
      )}
      <audio
        ref={audio}
        preload="none"
        onPlay={() => setPlaying(true)}
        onPause={() => setPlaying(false)}
        onEnded={() => setPlaying(false)}
        onTimeUpdate={(event) => setPosition(event.currentTarget.currentTime)}
      />
    </div>
  )
}
