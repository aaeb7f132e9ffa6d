/** The metronome's tempo range, in beats per minute. */
export const MIN_BPM = 20
export const MAX_BPM = 300

export function clampBpm(bpm: number): number {
  if (!Number.isFinite(bpm)) return 100
  return Math.min(MAX_BPM, Math.max(MIN_BPM, Math.round(bpm)))
}

/**
 * Tempo markings with their usual metronome ranges (lower bound inclusive), each the name of a
 * term in the music dictionary.
 */
export const TEMPO_NAMES: { term: string; from: number }[] = [
  { term: 'Grave', from: 0 },
  { term: 'Largo', from: 40 },
  { term: 'Lento', from: 45 },
  { term: 'Larghetto', from: 60 },
  { term: 'Adagio', from: 66 },
  { term: 'Andante', from: 76 },
  { term: 'Moderato', from: 108 },
  { term: 'Allegretto', from: 112 },
  { term: 'Allegro', from: 120 },
  { term: 'Vivace', from: 156 },
  { term: 'Presto', from: 168 },
  { term: 'Prestissimo', from: 200 },
]

/** The tempo marking a tempo falls under. */
export function tempoName(bpm: number): string {
  let name = TEMPO_NAMES[0].term
  for (const { term, from } of TEMPO_NAMES) if (bpm >= from) name = term
  return name
}

/**
 * Tap tempo: the tempo of the average interval between the last taps; a pause longer than
 * `resetMs` starts a new series.
 */
export class TapTempo {
  private taps: number[] = []

  constructor(
    private readonly keep = 6,
    private readonly resetMs = 2000,
  ) {}

  /** Record a tap at `atMs`; the tempo once there are two taps, else null. */
  tap(atMs: number): number | null {
    const last = this.taps[this.taps.length - 1]
    if (last !== undefined && (atMs - last > this.resetMs || atMs <= last)) this.taps = []
    this.taps.push(atMs)
    if (this.taps.length > this.keep) this.taps.shift()
    if (this.taps.length < 2) return null
    const span = this.taps[this.taps.length - 1] - this.taps[0]
    return clampBpm(60000 / (span / (this.taps.length - 1)))
  }

  get count(): number {
    return this.taps.length
  }
}
