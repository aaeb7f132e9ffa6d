// Runs in Chromium (bundled by metronome.mjs): the app's metronome, scheduled by its own
// look-ahead loop while an OfflineAudioContext renders, and the click onsets measured.
import { LOOK_AHEAD_S, Metronome } from '../src/lib/metronome'
import { DEFAULT_SETTINGS, type MetronomeSettings } from '../src/lib/tools/clicks'
import { defaultAccents, meterById } from '../src/lib/tools/meter'

export interface Scenario {
  name: string
  bpm: number
  meter: string
  subdivision: MetronomeSettings['subdivision']
  voice: MetronomeSettings['voice']
  sampleRate: number
  seconds: number
}

export interface Result {
  scenario: Scenario
  clicks: number
  expected: number
  /** Constant offset of the detected onsets from the grid (the click's first audible sample). */
  offsetMs: number
  /** |onset − grid − offset|: median, 99th percentile and maximum, in ms and samples. */
  medianMs: number
  p99Ms: number
  maxMs: number
  maxSamples: number
  /** Grid time of the last click minus that of the first, measured vs ideal. */
  driftMs: number
}

/** Scheduler wake-ups during the render, as the live metronome's 25 ms timer would. */
const WAKE_S = 0.025

export async function run(scenario: Scenario): Promise<Result> {
  const { sampleRate, seconds, bpm } = scenario
  const context = new OfflineAudioContext(1, Math.round(seconds * sampleRate), sampleRate)
  const metronome = new Metronome(context)
  const settings: MetronomeSettings = { ...DEFAULT_SETTINGS, bpm, meter: scenario.meter, accents: defaultAccents(meterById(scenario.meter)), subdivision: scenario.subdivision, subdivisionVolume: 0.6, voice: scenario.voice, volume: 1 }
  metronome.play(settings, undefined, true)
  const grid: number[] = []
  const plan = (until: number) => {
    for (const click of metronome.scheduleUntil(Math.min(until, seconds - 0.1))) if (click.gain > 0) grid.push(click.time)
  }
  plan(LOOK_AHEAD_S)
  // The scheduler runs while the clock advances: suspend every 25 ms of audio, plan, resume.
  for (let t = WAKE_S; t < seconds; t += WAKE_S) {
    void context.suspend(t).then(() => {
      plan(context.currentTime + LOOK_AHEAD_S)
      void context.resume()
    })
  }
  const rendered = await context.startRendering()
  const x = rendered.getChannelData(0)

  // Onsets: the first non-silent sample after at least 5 ms of silence.
  const onsets: number[] = []
  const gap = Math.round(0.005 * sampleRate)
  let quiet = gap
  for (let i = 0; i < x.length; i += 1) {
    if (Math.abs(x[i]) > 1e-4) {
      if (quiet >= gap) onsets.push(i)
      quiet = 0
    } else {
      quiet += 1
    }
  }
  const pairs = Math.min(onsets.length, grid.length)
  const deviations = Array.from({ length: pairs }, (_, i) => onsets[i] / sampleRate - grid[i])
  const sorted = [...deviations].sort((a, b) => a - b)
  const offset = sorted[Math.floor(sorted.length / 2)]
  const errors = deviations.map((d) => Math.abs(d - offset)).sort((a, b) => a - b)
  const at = (q: number) => errors[Math.min(errors.length - 1, Math.floor(q * errors.length))]
  return {
    scenario,
    clicks: onsets.length,
    expected: grid.length,
    offsetMs: offset * 1000,
    medianMs: at(0.5) * 1000,
    p99Ms: at(0.99) * 1000,
    maxMs: errors[errors.length - 1] * 1000,
    maxSamples: errors[errors.length - 1] * sampleRate,
    driftMs: (deviations[pairs - 1] - deviations[0]) * 1000,
  }
}
