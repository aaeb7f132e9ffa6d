import { describe, expect, it } from 'vitest'
import { beatInterval, beatsInWindow, clockOffset } from './metronome'

describe('metronome scheduling', () => {
  it('spaces beats by the tempo', () => {
    expect(beatInterval(120)).toBe(0.5)
  })

  it('schedules each beat exactly once across consecutive windows', () => {
    const windows = [
      [0, 0.3],
      [0.3, 0.9],
      [0.9, 1.6],
      [1.6, 1.7],
    ]
    const beats = windows.flatMap(([from, until]) => beatsInWindow(0.1, 120, from, until))
    expect(beats.map((b) => b.index)).toEqual([0, 1, 2, 3])
    beats.forEach((beat, i) => expect(beat.time).toBeCloseTo(0.1 + i * 0.5, 9))
  })

  it('starts at beat 0 when the window opens before the start', () => {
    expect(beatsInWindow(5, 60, 0, 6.5).map((b) => b.index)).toEqual([0, 1])
  })
})

describe('clock offset', () => {
  it('assumes the server read its clock half-way through the round trip', () => {
    expect(clockOffset(1000, 5100, 1200)).toBe(4000)
    expect(clockOffset(1000, 900, 1000)).toBe(-100)
  })
})
