import { describe, expect, it } from 'vitest'
import { IDLE, elapsedMs, formatClock, pauseTimer, readTimer, startTimer, timerMinutes, writeTimer } from './timer'

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
})
