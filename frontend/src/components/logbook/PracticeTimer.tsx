import { useEffect, useState } from 'react'
import { useI18n } from '../../i18n'
import { Recorder, type Take } from '../recording/Recorder'
import { IDLE, elapsedMs, formatClock, pauseTimer, readTimer, startTimer, timerMinutes, writeTimer, type TimerState } from '../../lib/timer'

/** The timer lives in localStorage, so a reload or a closed tab does not lose a session. */
export function PracticeTimer({ onFinish, onTake }: { onFinish: (minutes: number) => void; onTake: (take: Take) => void }) {
  const { t } = useI18n()
  // Finishing the timer also ends a recording in progress.
  const [finished, setFinished] = useState(0)
  const [state, setState] = useState<TimerState>(() => readTimer(localStorage))
  const [now, setNow] = useState(() => Date.now())

  useEffect(() => {
    if (state.runningSince === null) return
    const tick = setInterval(() => setNow(Date.now()), 500)
    return () => clearInterval(tick)
  }, [state.runningSince])

  function update(next: TimerState) {
    writeTimer(localStorage, next)
    setState(next)
    setNow(Date.now())
  }

  const running = state.runningSince !== null
  const started = running || state.accumulatedMs > 0
  return (
    <section aria-labelledby="timer-title" className="card flex flex-wrap items-center gap-3">
      <h2 id="timer-title" className="font-semibold">
        {t('timer.title')}
      </h2>
      <output aria-live="off" data-testid="timer-clock" className="font-mono text-2xl tabular-nums">
        {formatClock(elapsedMs(state, now))}
      </output>
      <div className="ml-auto flex flex-wrap gap-2">
        <Recorder onTake={onTake} stopSignal={finished} />
        {!running && (
          <button type="button" className="btn-quiet" onClick={() => update(startTimer(state, Date.now()))}>
            {started ? t('timer.resume') : t('timer.start')}
          </button>
        )}
        {running && (
          <button type="button" className="btn-quiet" onClick={() => update(pauseTimer(state, Date.now()))}>
            {t('timer.pause')}
          </button>
        )}
        {started && (
          <>
            <button
              type="button"
              className="btn-quiet"
              onClick={() => {
                onFinish(timerMinutes(state, Date.now()))
                setFinished((count) => count + 1)
                update(IDLE)
              }}
            >
              {t('timer.finish')}
            </button>
            <button type="button" className="btn-quiet" onClick={() => update(IDLE)}>
              {t('timer.reset')}
            </button>
          </>
        )}
      </div>
    </section>
  )
}
