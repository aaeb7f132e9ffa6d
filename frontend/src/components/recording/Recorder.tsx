import { useEffect, useRef, useState } from 'react'
import { useI18n } from '../../i18n'
import { peaksOfBlob } from '../../lib/peaks'
import { recordingMimeType } from '../../lib/recordings'

/** A finished take, not yet attached to an entry. */
export interface Take {
  audio: Blob
  contentType: string
  durationMs: number
  peaks?: number[]
}

interface Session {
  recorder: MediaRecorder
  stream: MediaStream
  context: AudioContext
  startedAt: number
  frame: number
}

/** The api wants the bare MIME type the bytes are; the codec parameter is ignored there. */
function bareType(type: string): string {
  return type.split(';')[0].trim() || 'audio/webm'
}

/**
 * Record button with a level meter. `stopSignal` changing stops a take in progress (the
 * timer finishing); the take comes back through `onTake` once its peaks are computed.
 */
export function Recorder({ onTake, stopSignal }: { onTake: (take: Take) => void; stopSignal: number }) {
  const { t } = useI18n()
  const [recording, setRecording] = useState(false)
  const [level, setLevel] = useState(0)
  const [failed, setFailed] = useState(false)
  const session = useRef<Session | null>(null)
  const onTakeRef = useRef(onTake)
  onTakeRef.current = onTake

  function stop() {
    const current = session.current
    if (!current) return
    session.current = null
    cancelAnimationFrame(current.frame)
    if (current.recorder.state !== 'inactive') current.recorder.stop()
    setRecording(false)
    setLevel(0)
  }

  useEffect(() => {
    if (stopSignal > 0) stop()
  }, [stopSignal])

  // Leaving the page ends a take in progress, and always releases the microphone.
  useEffect(() => stop, [])

  async function start() {
    setFailed(false)
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true })
      const mimeType = recordingMimeType((type) => MediaRecorder.isTypeSupported(type))
      const recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined)
      const context = new AudioContext()
      const analyser = context.createAnalyser()
      analyser.fftSize = 1024
      context.createMediaStreamSource(stream).connect(analyser)
      const samples = new Float32Array(analyser.fftSize)
      const chunks: Blob[] = []
      const current: Session = { recorder, stream, context, startedAt: performance.now(), frame: 0 }
      const meter = () => {
        analyser.getFloatTimeDomainData(samples)
        let sum = 0
        for (const sample of samples) sum += sample * sample
        // RMS scaled so normal playing fills most of the bar.
        setLevel(Math.min(1, Math.sqrt(sum / samples.length) * 4))
        current.frame = requestAnimationFrame(meter)
      }
      recorder.ondataavailable = (event) => {
        if (event.data.size > 0) chunks.push(event.data)
      }
      recorder.onstop = () => {
        const durationMs = performance.now() - current.startedAt
        for (const track of stream.getTracks()) track.stop()
        void context.close()
        const contentType = bareType(recorder.mimeType || mimeType || '')
        const audio = new Blob(chunks, { type: contentType })
        if (audio.size === 0) return
        void peaksOfBlob(audio).then((peaks) => onTakeRef.current({ audio, contentType, durationMs, ...(peaks ? { peaks } : {}) }))
      }
      recorder.start(1000)
      session.current = current
      current.frame = requestAnimationFrame(meter)
      setRecording(true)
    } catch {
      setFailed(true)
    }
  }

  return (
    <div className="flex items-center gap-2">
      <button
        type="button"
        className="btn-quiet"
        aria-pressed={recording}
        onClick={() => (recording ? stop() : void start())}
      >
        <span aria-hidden className={`mr-1 inline-block h-2 w-2 rounded-full ${recording ? 'animate-pulse bg-red-600' : 'bg-red-400'}`} />
        {recording ? t('recording.stop') : t('recording.record')}
      </button>
      {recording && (
        <meter data-testid="level-meter" aria-label={t('recording.level')} min={0} max={1} value={level} className="w-24" />
      )}
      {failed && (
        <p role="alert" className="text-sm text-red-700">
          {t('recording.unavailable')}
        </p>
      )}
    </div>
  )
}
