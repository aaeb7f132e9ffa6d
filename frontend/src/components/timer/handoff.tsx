import { createContext, use, useMemo, useState, type ReactNode } from 'react'
import type { Take } from '../recording/Recorder'

/**
 * What the floating timer hands to the logbook: the minutes of a finished session (the entry
 * sheet opens with them) and a recorded take (attached to the next entry saved). The timer
 * lives in the layout and the sheet in the logbook page, so they meet here.
 */
export interface TimerHandoff {
  minutes: number | null
  take: Take | null
  setMinutes: (minutes: number | null) => void
  setTake: (take: Take | null) => void
}

const NONE: TimerHandoff = { minutes: null, take: null, setMinutes: () => {}, setTake: () => {} }
const Context = createContext<TimerHandoff>(NONE)

export function TimerHandoffProvider({ children }: { children: ReactNode }) {
  const [minutes, setMinutes] = useState<number | null>(null)
  const [take, setTake] = useState<Take | null>(null)
  const value = useMemo(() => ({ minutes, take, setMinutes, setTake }), [minutes, take])
  return <Context value={value}>{children}</Context>
}

export function useTimerHandoff(): TimerHandoff {
  return use(Context)
}
