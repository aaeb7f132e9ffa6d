import { describe, expect, it } from 'vitest'
import { IDLE, dueReminder, elapsedMs, readReminder, writeReminder, formatClock, pauseTimer, readTimer, startTimer, timerMinutes, writeTimer } from './timer'

function memoryStorage() {
  const map = new Map<string, string>()
  return {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
    map,
  }
}

describe('practice timer', () => {
  it('accumulates runs across pauses', () => {
    let state = startTimer(IDLE, 1000)
    expect(elapsedMs(state, 61_000)).toBe(60_000)
    state = pauseTimer(state, 61_000)
    expect(elapsedMs(state, 999_999)).toBe(60_000)
    state = startTimer(state, 100_000)
    expect(startTimer(state, 200_000)).toBe(state)
    expect(elapsedMs(state, 130_000)).toBe(90_000)
    expect(timerMinutes(state, 130_000)).toBe(2)
  })

  it('survives a reload through storage, and an idle timer leaves nothing behind', () => {
    const storage = memoryStorage()
    const running = startTimer(IDLE, 5000)
    writeTimer(storage, running)
    expect(readTimer(storage)).toEqual(running)
    writeTimer(storage, IDLE)
    expect(storage.map.size).toBe(0)
    storage.setItem('mirubato.timer', '{broken')
    expect(readTimer(storage)).toEqual(IDLE)
  })

  it('rounds to at least one minute and formats the clock', () => {
    expect(timerMinutes(IDLE, 0)).toBe(0)
    expect(timerMinutes(pauseTimer(startTimer(IDLE, 0), 5000), 0)).toBe(1)
    expect(formatClock(65_000)).toBe('01:05')
    expect(formatClock(3_725_000)).toBe('1:02:05')
  })

  it('gives an interval reminder once per interval, also across a pause and a reload', () => {
    const start = startTimer(IDLE, 0)
    expect(dueReminder(start, 14 * 60_000, 15)).toBeNull()
    expect(dueReminder(start, 15 * 60_000, 15)).toBe(1)
    const told = { ...start, reminded: 1 }
    expect(dueReminder(told, 29 * 60_000, 15)).toBeNull()
    // A sleeping tab that missed two intervals hears only the latest.
    expect(dueReminder(told, 47 * 60_000, 15)).toBe(3)
    // Off, or paused: nothing.
    expect(dueReminder(start, 60 * 60_000, 0)).toBeNull()
    const paused = pauseTimer(told, 20 * 60_000)
    expect(paused.reminded).toBe(1)
    expect(dueReminder(paused, 99 * 60_000, 15)).toBeNull()
    expect(dueReminder(startTimer(paused, 100 * 60_000), 110 * 60_000, 15)).toBe(2)
  })

  it('keeps the reminder interval as a device setting', () => {
    const storage = memoryStorage()
    expect(readReminder(storage)).toBe(0)
    writeReminder(storage, 15)
    expect(readReminder(storage)).toBe(15)
    storage.setItem('mirubato.timer.reminder', '7')
    expect(readReminder(storage)).toBe(0)
    writeReminder(storage, 0)
    expect(storage.map.size).toBe(0)
  })
})
