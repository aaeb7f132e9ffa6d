/** Seconds between beats. */
export function beatInterval(bpm: number): number {
  return 60 / bpm
}

/**
 * Beats to schedule in the window [from, until) of the audio clock, for a metronome whose beat
 * 0 sounds at `start`: indices and times, so a bar's first beat can be accented.
 */
export function beatsInWindow(start: number, bpm: number, from: number, until: number): { index: number; time: number }[] {
  const interval = beatInterval(bpm)
  const first = Math.max(0, Math.ceil((from - start) / interval - 1e-9))
  const beats: { index: number; time: number }[] = []
  for (let index = first; start + index * interval < until; index += 1) {
    beats.push({ index, time: start + index * interval })
  }
  return beats
}

/**
 * Server clock minus local clock, from one CLOCK_SYNC round trip (NTP's estimate: the server
 * read its clock half-way through the round trip).
 */
export function clockOffset(sentAt: number, serverTime: number, receivedAt: number): number {
  return serverTime - (sentAt + receivedAt) / 2
}

import { ClickPlanner, type Click, type MetronomeSettings } from './tools/clicks'
import { renderCount } from './tools/speech'
import { renderClick, type ClickKind } from './tools/voices'

/** How far ahead clicks are scheduled on the audio clock, and how often the scheduler wakes. */
export const LOOK_AHEAD_S = 0.12
const WAKE_MS = 25

/**
 * A Web Audio metronome: a look-ahead scheduler queues each click as an `AudioBufferSourceNode`
 * started at its exact time on the audio clock, so main-thread timer jitter never moves a beat.
 * Settings changes apply from the next beat. The visual beat reads `current(context time)`,
 * which follows the same clock.
 */
export class Metronome {
  private context: BaseAudioContext | null
  private output: GainNode | null = null
  private timer: ReturnType<typeof setInterval> | null = null
  private planner: ClickPlanner | null = null
  private buffers = new Map<string, AudioBuffer>()
  private sources: { node: AudioBufferSourceNode; time: number }[] = []
  /** Planned clicks not yet displayed, for the visual beat. */
  private queue: Click[] = []
  private last: Click | null = null

  constructor(context?: BaseAudioContext) {
    this.context = context ?? null
  }

  get running(): boolean {
    return this.planner !== null
  }

  get audioContext(): BaseAudioContext {
    this.context ??= new AudioContext({ latencyHint: 'interactive' })
    return this.context
  }

  /**
   * Start now, or at `atEpochMs` (local clock) for an ensemble start. With `manual`, no timer
   * runs: the caller plans with `scheduleUntil` (an OfflineAudioContext renders that way).
   */
  play(settings: MetronomeSettings, atEpochMs?: number, manual = false): void {
    this.stop()
    const context = this.audioContext
    if (typeof AudioContext !== 'undefined' && context instanceof AudioContext) void context.resume()
    this.output = context.createGain()
    this.output.gain.value = settings.volume
    this.output.connect(context.destination)
    const delay = atEpochMs === undefined ? 0.05 : Math.max(0.05, (atEpochMs - Date.now()) / 1000)
    this.planner = new ClickPlanner(settings, context.currentTime + delay)
    if (!manual) {
      this.timer = setInterval(() => this.scheduleUntil(this.audioContext.currentTime + LOOK_AHEAD_S), WAKE_MS)
      this.scheduleUntil(context.currentTime + LOOK_AHEAD_S)
    }
  }

  /** New settings, heard from the next beat (the volume at once). */
  update(settings: MetronomeSettings): void {
    if (!this.planner) return
    this.planner.settings = settings
    if (this.output && this.context) this.output.gain.setTargetAtTime(settings.volume, this.context.currentTime, 0.01)
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    this.planner = null
    const now = this.context?.currentTime ?? 0
    for (const { node, time } of this.sources) if (time > now) node.stop()
    this.sources = []
    this.queue = []
    this.last = null
    this.output?.disconnect()
    this.output = null
  }

  /** Queue every click that starts before `until` (seconds on the audio clock). */
  scheduleUntil(until: number): Click[] {
    const context = this.context
    const planner = this.planner
    if (!context || !planner || !this.output) return []
    const clicks = planner.until(until)
    const now = context.currentTime
    this.sources = this.sources.filter((s) => s.time + 0.1 > now)
    for (const click of clicks) {
      this.queue.push(click)
      if (click.gain <= 0) continue
      const kind: ClickKind = click.sub > 0 ? 'sub' : click.accent === 'strong' ? 'strong' : click.accent === 'medium' ? 'medium' : 'weak'
      const node = context.createBufferSource()
      node.buffer = this.buffer(planner.settings.voice, kind, click.beat)
      const gain = context.createGain()
      gain.gain.value = click.gain
      node.connect(gain).connect(this.output)
      node.start(click.time)
      this.sources.push({ node, time: click.time })
    }
    return clicks
  }

  /** The latest beat (not subdivision) that has sounded by audio time `now`. */
  current(now: number = this.context?.currentTime ?? 0): Click | null {
    while (this.queue.length && this.queue[0].time <= now) {
      const click = this.queue.shift()!
      if (click.sub === 0) this.last = click
    }
    return this.last
  }

  /** The sample of a click, rendered once: the spoken count says the beat's number. */
  private buffer(voice: MetronomeSettings['voice'], kind: ClickKind, beat: number): AudioBuffer {
    const context = this.audioContext
    const spoken = voice === 'count' && kind !== 'sub'
    const key = spoken ? `count:${beat}` : `${voice}:${kind}`
    let buffer = this.buffers.get(key)
    if (!buffer) {
      const samples = spoken ? renderCount(beat, context.sampleRate) : renderClick(voice === 'count' ? 'wood' : voice, kind, context.sampleRate)
      buffer = context.createBuffer(1, samples.length, context.sampleRate)
      buffer.getChannelData(0).set(samples)
      this.buffers.set(key, buffer)
    }
    return buffer
  }
}
