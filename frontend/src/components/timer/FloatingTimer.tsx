import { useEffect, useState } from 'react'
import { useLocation, useNavigate } from 'react-router'
import { useI18n } from '../../i18n'
import {
  IDLE,
  REMINDER_CHOICES,
  dueReminder,
  elapsedMs,
  formatClock,
  pauseTimer,
  readReminder,
  readTimer,
  startTimer,
  timerMinutes,
  writeReminder,
  writeTimer,
  type TimerState,
} from '../../lib/timer'
import type { KeyValueStorage } from '../../lib/session'
import { Button, cx, useToast } from '../../ui'
import { Recorder } from '../recording/Recorder'
import { useTimerHandoff } from './handoff'

const MINIMIZED_KEY = 'mirubato.timer.minimized'

/** The device's storage; none while rendering outside a browser (a server-side render in a test). */
const NO_STORAGE: KeyValueStorage = { getItem: () => null, setItem: () => {}, removeItem: () => {} }
const store = (): KeyValueStorage => (typeof localStorage === 'undefined' ? NO_STORAGE : localStorage)

/** A short, soft double beep for an interval reminder (silently skipped where audio is refused). */
function chime() {
  try {
    const context = new AudioContext()
    for (const [at, frequency] of [[0, 880], [0.25, 1175]] as const) {
      const osc = context.createOscillator()
      const gain = context.createGain()
      osc.frequency.value = frequency
      gain.gain.setValueAtTime(0.0001, context.currentTime + at)
      gain.gain.exponentialRampToValueAtTime(0.2, context.currentTime + at + 0.02)
      gain.gain.exponentialRampToValueAtTime(0.0001, context.currentTime + at + 0.2)
      osc.connect(gain).connect(context.destination)
      osc.start(context.currentTime + at)
      osc.stop(context.currentTime + at + 0.22)
    }
    setTimeout(() => void context.close(), 1000)
  } catch {
    // No audio here: the toast is the reminder.
  }
  // Browsers refuse (and log) a vibration before the user has interacted with the page, as
  // after a reload: only ask once they have.
  if (navigator.userActivation?.hasBeenActive) navigator.vibrate?.(200)
}

function ClockIcon() {
  return (
    <svg aria-hidden viewBox="0 0 24 24" className="size-4 shrink-0" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
      <circle cx="12" cy="13" r="8" />
      <path d="M12 9v4l2 2M10 2h4" />
    </svg>
  )
}

/**
 * The practice timer as a floating widget on every screen. Its state is in localStorage, so it
 * runs on through navigation, reloads and closed tabs; interval reminders (a chime and a toast)
 * come every N minutes of practice; "Finish and log" opens the logbook's entry sheet with the
 * minutes. It can be folded into a small pill showing only the time.
 */
export function FloatingTimer() {
  const { t } = useI18n()
  const toast = useToast()
  const navigate = useNavigate()
  const location = useLocation()
  const handoff = useTimerHandoff()
  const [state, setState] = useState<TimerState>(() => readTimer(store()))
  const [now, setNow] = useState(() => Date.now())
  const [reminder, setReminder] = useState(() => readReminder(store()))
  // Folded by default on a phone while idle, so it does not sit over the page.
  const [minimized, setMinimized] = useState(() => {
    const stored = store().getItem(MINIMIZED_KEY)
    if (stored !== null) return stored === '1'
    return readTimer(store()).runningSince === null && typeof matchMedia === 'function' && matchMedia('(max-width: 767px)').matches
  })
  // Finishing the timer also ends a recording in progress.
  const [finished, setFinished] = useState(0)

  function update(next: TimerState) {
    writeTimer(store(), next)
    setState(next)
    setNow(Date.now())
  }

  // Another tab started, paused or finished the timer: follow it.
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key === 'mirubato.timer' || event.key === null) setState(readTimer(store()))
    }
    window.addEventListener('storage', onStorage)
    return () => window.removeEventListener('storage', onStorage)
  }, [])

  useEffect(() => {
    if (state.runningSince === null) return
    const tick = setInterval(() => setNow(Date.now()), 500)
    return () => clearInterval(tick)
  }, [state.runningSince])

  useEffect(() => {
    const due = dueReminder(state, now, reminder)
    if (due === null) return
    update({ ...state, reminded: due })
    chime()
    toast({ message: t('timer.reminded', { minutes: String(due * reminder) }), duration: 10_000 })
  }, [now, reminder, state])

  function setFolded(value: boolean) {
    store().setItem(MINIMIZED_KEY, value ? '1' : '0')
    setMinimized(value)
  }

  function finish() {
    handoff.setMinutes(timerMinutes(state, Date.now()))
    setFinished((count) => count + 1)
    update(IDLE)
    if (location.pathname !== '/logbook') void navigate('/logbook')
  }

  const running = state.runningSince !== null
  const started = running || state.accumulatedMs > 0
  const clock = formatClock(elapsedMs(state, now))

  return (
    <section
      aria-labelledby="timer-title"
      data-testid="floating-timer"
      className={cx(
        'fixed right-3 bottom-[calc(4.75rem+env(safe-area-inset-bottom))] z-30 rounded-card border border-line bg-surface text-ink shadow-lg md:right-6 md:bottom-6',
        minimized ? 'w-auto' : 'w-[min(22rem,calc(100vw-1.5rem))] p-3',
      )}
    >
      <h2 id="timer-title" className="sr-only">
        {t('timer.title')}
      </h2>
      {minimized && (
        <button
          type="button"
          className="flex items-center gap-2 rounded-card px-3 py-2 text-sm font-medium text-ink hover:bg-surface-muted"
          aria-expanded={false}
          onClick={() => setFolded(false)}
        >
          <ClockIcon />
          {/* The name starts with what the button does and contains the visible time. */}
          <span className="sr-only">{t('timer.show')}</span>
          <span className={cx('font-mono tabular-nums', running && 'text-accent')}>{clock}</span>
          {running && <span aria-hidden className="size-2 animate-pulse rounded-full bg-accent" />}
        </button>
      )}
      {/* Kept mounted while folded, so a recording in progress goes on. */}
      <div hidden={minimized} className="space-y-2">
        <div className="flex items-center gap-2">
          <ClockIcon />
          <output aria-live="off" data-testid="timer-clock" className="font-mono text-2xl tabular-nums">
            {clock}
          </output>
          <div className="ml-auto flex gap-1.5">
            {!running && (
              <Button variant="primary" onClick={() => update(startTimer(state, Date.now()))}>
                {started ? t('timer.resume') : t('timer.start')}
              </Button>
            )}
            {running && <Button onClick={() => update(pauseTimer(state, Date.now()))}>{t('timer.pause')}</Button>}
            <Button
              variant="ghost"
              aria-label={t('timer.hide')}
              title={t('timer.hide')}
              aria-expanded
              onClick={() => setFolded(true)}
            >
              <span aria-hidden>–</span>
            </Button>
          </div>
        </div>
        <div className="flex flex-wrap items-center gap-1.5">
          <Recorder onTake={handoff.setTake} stopSignal={finished} />
          {started && (
            <>
              <Button variant="primary" onClick={finish}>
                {t('timer.finish')}
              </Button>
              <Button onClick={() => update(IDLE)}>{t('timer.reset')}</Button>
            </>
          )}
          <label className="ml-auto flex items-center gap-1 text-xs text-ink-muted">
            <span className="sr-only">{t('timer.reminder')}</span>
            <svg aria-hidden viewBox="0 0 24 24" className="size-4" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
              <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9M10.3 21a1.9 1.9 0 0 0 3.4 0" />
            </svg>
            <select
              className="rounded-control border border-line bg-surface px-1.5 py-1 text-xs text-ink"
              value={reminder}
              onChange={(event) => {
                const minutes = Number(event.target.value)
                writeReminder(store(), minutes)
                setReminder(minutes)
                // Counted from now on: no burst of reminders for time already practised.
                if (minutes > 0) update({ ...state, reminded: Math.floor(elapsedMs(state, Date.now()) / (minutes * 60_000)) })
              }}
            >
              {REMINDER_CHOICES.map((minutes) => (
                <option key={minutes} value={minutes}>
                  {minutes === 0 ? t('timer.reminderOff') : t('timer.reminderEvery', { minutes: String(minutes) })}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>
    </section>
  )
}
