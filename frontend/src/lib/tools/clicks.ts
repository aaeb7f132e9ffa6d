import { ACCENT_GAIN, fitAccents, meterById, subdivisionOffsets, type Accent, type Subdivision } from './meter'
import { isMutedBar, tempoAtBar, type GapSettings, type TrainerSettings } from './trainer'

export type Voice = 'wood' | 'beep' | 'clave' | 'count'

export const VOICES: readonly Voice[] = ['wood', 'beep', 'clave', 'count']

/** Everything the metronome plays, as saved in a preset (the trainer and gap included). */
export interface MetronomeSettings {
  bpm: number
  meter: string
  accents: Accent[]
  subdivision: Subdivision
  /** Gain of the subdivision clicks, 0–1, independent of the beats. */
  subdivisionVolume: number
  voice: Voice
  /** Master gain, 0–1. */
  volume: number
  trainer: TrainerSettings
  gap: GapSettings
}

export const DEFAULT_SETTINGS: MetronomeSettings = {
  bpm: 100,
  meter: '4/4',
  accents: ['strong', 'weak', 'medium', 'weak'],
  subdivision: 'none',
  subdivisionVolume: 0.5,
  voice: 'wood',
  volume: 0.8,
  trainer: { enabled: false, start: 80, target: 120, step: 4, barsPerStep: 4 },
  gap: { enabled: false, play: 2, mute: 2 },
}

/** One click to sound: `sub` is 0 for the beat itself, n for its n-th subdivision. */
export interface Click {
  time: number
  bar: number
  beat: number
  sub: number
  accent: Accent
  /** Gain before the master volume (0 for a silent beat or a muted bar). */
  gain: number
  bpm: number
  muted: boolean
}

/**
 * Turns settings into clicks on a clock, one beat at a time, so a change of settings applies
 * from the next beat and a tempo change (trainer) from the next bar. Beat times are computed
 * from the bar's start, never by adding up intervals, so no rounding error accumulates.
 */
export class ClickPlanner {
  private bar = 0
  private beat = 0
  private barStart: number
  private barBpm: number

  constructor(
    public settings: MetronomeSettings,
    start: number,
  ) {
    this.barStart = start
    this.barBpm = tempoAtBar(settings.bpm, settings.trainer, 0)
  }

  /** The start of the next beat not yet planned. */
  get nextBeatTime(): number {
    return this.barStart + (this.beat * 60) / this.barBpm
  }

  /** All clicks of the beats that start before `until`. */
  until(until: number): Click[] {
    const clicks: Click[] = []
    while (this.nextBeatTime < until) clicks.push(...this.planBeat())
    return clicks
  }

  private planBeat(): Click[] {
    const { settings } = this
    const meter = meterById(settings.meter)
    const accents = fitAccents(settings.accents, meter)
    if (this.beat >= meter.beats) this.nextBar(meter.beats)
    const beatLength = 60 / this.barBpm
    const time = this.barStart + this.beat * beatLength
    const muted = isMutedBar(settings.gap, this.bar)
    const accent = accents[this.beat]
    const base = { bar: this.bar, beat: this.beat, accent, bpm: this.barBpm, muted }
    const clicks: Click[] = [{ ...base, time, sub: 0, gain: muted ? 0 : ACCENT_GAIN[accent] }]
    subdivisionOffsets(settings.subdivision).forEach((offset, i) => {
      clicks.push({ ...base, time: time + offset * beatLength, sub: i + 1, gain: muted ? 0 : settings.subdivisionVolume })
    })
    this.beat += 1
    if (this.beat >= meter.beats) this.nextBar(meter.beats)
    return clicks
  }

  private nextBar(beats: number) {
    this.barStart += (beats * 60) / this.barBpm
    this.bar += 1
    this.beat = 0
    this.barBpm = tempoAtBar(this.settings.bpm, this.settings.trainer, this.bar)
  }
}
