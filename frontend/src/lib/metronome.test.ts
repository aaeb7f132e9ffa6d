import { describe, expect, it } from 'vitest'
import { beatInterval, beatsInWindow, clockOffset, Metronome } from './metronome'
import { DEFAULT_SETTINGS } from './tools/clicks'

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

describe('Metronome engine (on a stand-in audio context)', () => {
  function fakeContext() {
    const started: number[] = []
    let stopped = 0
    const node = () => ({ gain: { value: 1, setTargetAtTime() {} }, connect: (next: unknown) => next, disconnect() {} })
    const context = {
      currentTime: 0,
      sampleRate: 48000,
      destination: {},
      createGain: node,
      createBuffer: (_channels: number, length: number) => ({ getChannelData: () => new Float32Array(length) }),
      createBufferSource: () => ({
        buffer: null,
        connect: (next: unknown) => next,
        start: (time: number) => started.push(time),
        stop: () => (stopped += 1),
      }),
    }
    return { context, started, stopped: () => stopped }
  }

  it('queues clicks on the grid, shows the beat the clock reached, and cancels queued clicks on stop', () => {
    const { context, started, stopped } = fakeContext()
    const metronome = new Metronome(context as unknown as BaseAudioContext)
    metronome.play({ ...DEFAULT_SETTINGS, bpm: 120, meter: '3/4', accents: ['strong', 'silent', 'weak'] }, undefined, true)
    metronome.scheduleUntil(1.6)
    // Start 50 ms ahead; the silent second beat queues no sound.
    expect(started).toEqual([0.05, 1.05, 1.55])
    expect(metronome.current(0.6)).toMatchObject({ beat: 1, bar: 0 })
    expect(metronome.current(1.1)).toMatchObject({ beat: 2 })
    context.currentTime = 1.2
    metronome.stop()
    expect(stopped()).toBe(1)
    expect(metronome.running).toBe(false)
  })

  it('applies new settings from the next beat', () => {
    const { context, started } = fakeContext()
    const metronome = new Metronome(context as unknown as BaseAudioContext)
    metronome.play({ ...DEFAULT_SETTINGS, bpm: 60, meter: '4/4', accents: ['strong', 'weak', 'weak', 'weak'] }, undefined, true)
    metronome.scheduleUntil(1)
    metronome.update({ ...DEFAULT_SETTINGS, bpm: 60, meter: '4/4', accents: ['strong', 'weak', 'weak', 'weak'], subdivision: 'eighths' })
    metronome.scheduleUntil(2)
    expect(started).toEqual([0.05, 1.05, 1.55])
  })
})
