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

/**
 * A Web Audio metronome: a look-ahead loop schedules clicks on the audio clock, so timer jitter
 * on the main thread never moves a beat.
 */
export class Metronome {
  private context: AudioContext | null = null
  private timer: ReturnType<typeof setInterval> | null = null
  private scheduledUntil = 0
  private start = 0
  private bpm = 100
  private beatsPerBar = 4
  onBeat: ((beatInBar: number) => void) | null = null

  get running(): boolean {
    return this.timer !== null
  }

  /** Start now, or at `atEpochMs` (local clock) for an ensemble start. */
  play(bpm: number, beatsPerBar: number, atEpochMs?: number): void {
    this.stop()
    this.context ??= new AudioContext()
    void this.context.resume()
    this.bpm = bpm
    this.beatsPerBar = beatsPerBar
    const delay = atEpochMs === undefined ? 0.05 : Math.max(0.05, (atEpochMs - Date.now()) / 1000)
    this.start = this.context.currentTime + delay
    this.scheduledUntil = this.context.currentTime
    this.timer = setInterval(() => this.schedule(), 25)
    this.schedule()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  private schedule() {
    const context = this.context
    if (!context) return
    const until = context.currentTime + 0.1
    for (const { index, time } of beatsInWindow(this.start, this.bpm, this.scheduledUntil, until)) {
      const beatInBar = index % this.beatsPerBar
      const osc = context.createOscillator()
      const gain = context.createGain()
      osc.frequency.value = beatInBar === 0 ? 1500 : 1000
      gain.gain.setValueAtTime(0.4, time)
      gain.gain.exponentialRampToValueAtTime(0.001, time + 0.05)
      osc.connect(gain).connect(context.destination)
      osc.start(time)
      osc.stop(time + 0.06)
      const wait = Math.max(0, (time - context.currentTime) * 1000)
      setTimeout(() => this.onBeat?.(beatInBar), wait)
    }
    this.scheduledUntil = until
  }
}
