/**
 * A spoken count ("one", "two", … "twelve") made by formant synthesis, so the metronome can
 * count aloud without recorded samples: a glottal pulse train through three formant resonators
 * for vowels, nasals and glides, band-passed noise for fricatives and bursts. Deterministic and
 * pure (it renders into a Float32Array), so it runs and is tested without Web Audio.
 */

type Formants = [number, number, number]

type Segment =
  | { kind: 'voiced'; ms: number; from: Formants; to?: Formants; gain?: number }
  | { kind: 'noise'; ms: number; centre: number; width: number; gain: number }
  | { kind: 'silence'; ms: number }

const AH: Formants = [640, 1190, 2390]
const UW: Formants = [300, 870, 2240]
const IY: Formants = [270, 2290, 3010]
const AO: Formants = [570, 840, 2410]
const AA: Formants = [730, 1090, 2440]
const IH: Formants = [390, 1990, 2550]
const EH: Formants = [530, 1840, 2480]
const EY: Formants = [480, 1900, 2500]
const W: Formants = [300, 610, 2200]
const R: Formants = [420, 1300, 1600]
const N: Formants = [250, 1700, 2600]
const L: Formants = [360, 1100, 2700]
const V: Formants = [300, 1200, 2300]

const voiced = (ms: number, from: Formants, to?: Formants, gain = 1): Segment => ({ kind: 'voiced', ms, from, to, gain })
const nasal = (ms: number): Segment => voiced(ms, N, N, 0.35)
const noise = (ms: number, centre: number, width: number, gain: number): Segment => ({ kind: 'noise', ms, centre, width, gain })
const T = [noise(25, 4200, 3000, 0.5)]
const S = (ms: number) => noise(ms, 6500, 2500, 0.35)
const F = noise(80, 5000, 4000, 0.15)

export const WORDS: Segment[][] = [
  [voiced(60, W, AH), voiced(170, AH), voiced(40, AH, N), nasal(110)],
  [...T, voiced(60, [400, 1600, 2400], UW), voiced(210, UW)],
  [noise(70, 6000, 4000, 0.12), voiced(60, R, IY), voiced(200, IY)],
  [F, voiced(250, AO, [500, 900, 1700])],
  [F, voiced(120, AA), voiced(150, AA, IY), voiced(50, V, V, 0.3)],
  [S(100), voiced(120, IH), { kind: 'silence', ms: 40 }, noise(25, 2500, 1500, 0.4), S(90)],
  [S(90), voiced(130, EH), voiced(50, V, V, 0.3), voiced(80, AH), nasal(100)],
  [voiced(120, EY), voiced(110, EY, IY), { kind: 'silence', ms: 30 }, noise(20, 4200, 3000, 0.4)],
  [nasal(80), voiced(120, AA), voiced(140, AA, IY), nasal(100)],
  [...T, voiced(180, EH), nasal(110)],
  [voiced(80, IH), voiced(60, L), voiced(120, EH), voiced(50, V, V, 0.3), voiced(60, AH), nasal(100)],
  [...T, voiced(50, W), voiced(150, EH), voiced(60, L), voiced(60, V, V, 0.3)],
]

/** Two-pole resonator (Klatt): centre frequency and bandwidth in Hz. */
class Resonator {
  private y1 = 0
  private y2 = 0
  private a = 0
  private b = 0
  private c = 0

  set(frequency: number, bandwidth: number, sampleRate: number) {
    this.c = -Math.exp((-2 * Math.PI * bandwidth) / sampleRate)
    this.b = 2 * Math.exp((-Math.PI * bandwidth) / sampleRate) * Math.cos((2 * Math.PI * frequency) / sampleRate)
    this.a = 1 - this.b - this.c
  }

  step(x: number): number {
    const y = this.a * x + this.b * this.y1 + this.c * this.y2
    this.y2 = this.y1
    this.y1 = y
    return y
  }
}

const BANDWIDTHS: Formants = [80, 100, 140]

/** "one" … "twelve": the number of beat `beat` (0-based) of a bar, spoken. */
export function renderCount(beat: number, sampleRate: number): Float32Array {
  const segments = WORDS[beat % WORDS.length]
  const total = segments.reduce((sum, s) => sum + s.ms, 0)
  const out = new Float32Array(Math.round((total / 1000) * sampleRate) + Math.round(0.02 * sampleRate))
  const formants = [new Resonator(), new Resonator(), new Resonator()]
  const band = new Resonator()
  let phase = 0
  let state = 22222 + beat
  const random = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff
    return state / 0x7fffffff - 0.5
  }
  let at = 0
  for (const segment of segments) {
    const length = Math.round((segment.ms / 1000) * sampleRate)
    if (segment.kind === 'noise') band.set(segment.centre, segment.width, sampleRate)
    for (let i = 0; i < length; i += 1, at += 1) {
      const t = at / sampleRate
      // Short fades at each segment's edges keep the joins click-free.
      const edge = Math.min(1, i / (0.004 * sampleRate), (length - i) / (0.004 * sampleRate))
      if (segment.kind === 'voiced') {
        if (i % 32 === 0) {
          const k = i / length
          const to = segment.to ?? segment.from
          formants.forEach((r, f) => r.set(segment.from[f] + (to[f] - segment.from[f]) * k, BANDWIDTHS[f], sampleRate))
        }
        // A falling pitch, as in speech; a sawtooth-like glottal source.
        const f0 = 135 - 30 * (at / out.length)
        phase = (phase + f0 / sampleRate) % 1
        const source = 1 - 2 * phase
        const v = formants[0].step(source) + 0.6 * formants[1].step(source) + 0.3 * formants[2].step(source)
        out[at] = v * 0.5 * (segment.gain ?? 1) * Math.min(1, edge + 0.3 * Math.min(1, t * 200))
      } else if (segment.kind === 'noise') {
        out[at] = band.step(random()) * segment.gain * 2 * edge
      }
    }
  }
  let peak = 0
  for (const v of out) peak = Math.max(peak, Math.abs(v))
  if (peak > 0) for (let i = 0; i < out.length; i += 1) out[i] = (out[i] / peak) * 0.8
  return out
}
