/**
 * Pitch detection with YIN (de Cheveigné & Kawahara, 2002): the cumulative mean normalised
 * difference function picks the period, parabolic interpolation places it between samples,
 * and a refinement measures it again over many periods at once (the lag of k periods, found to
 * within a fraction of a sample, divided by k), which takes high notes (short periods of a few
 * dozen samples) to within a cent. Pure code: it runs in the tuner's AudioWorklet and in tests.
 */

export interface PitchReading {
  /** Hz */
  frequency: number
  /** 0–1: how periodic the frame is (1 − the YIN dip). */
  clarity: number
}

export interface DetectOptions {
  sampleRate: number
  /** Lowest and highest frequency looked for. */
  minFrequency?: number
  maxFrequency?: number
  /** YIN's absolute threshold. */
  threshold?: number
}

/** Frame length the detector wants at a sample rate: about 85 ms, a power of two. */
export function frameLength(sampleRate: number): number {
  return sampleRate > 50000 ? 8192 : 4096
}

function difference(x: Float32Array, lag: number, window: number): number {
  let sum = 0
  for (let j = 0; j < window; j += 1) {
    const delta = x[j] - x[j + lag]
    sum += delta * delta
  }
  return sum
}

/** Vertex of the parabola through (−1, a), (0, b), (1, c): an offset in [−1, 1]. */
function parabola(a: number, b: number, c: number): number {
  const denominator = a - 2 * b + c
  if (denominator <= 0) return 0
  return Math.max(-1, Math.min(1, (a - c) / (2 * denominator)))
}

/** The fundamental of `x`, or null when the frame is not clearly pitched. */
export function detectPitch(x: Float32Array, options: DetectOptions): PitchReading | null {
  const { sampleRate } = options
  const minFrequency = options.minFrequency ?? 50
  const maxFrequency = options.maxFrequency ?? 2000
  const threshold = options.threshold ?? 0.12
  const n = x.length
  const maxLag = Math.min(Math.floor(n / 2), Math.ceil(sampleRate / minFrequency) + 2)
  const minLag = Math.max(2, Math.floor(sampleRate / maxFrequency))
  const window = n - maxLag
  if (maxLag <= minLag + 2 || window < maxLag) return null

  // Difference and its cumulative mean normalisation.
  const d = new Float32Array(maxLag + 1)
  const cmnd = new Float32Array(maxLag + 1)
  cmnd[0] = 1
  let running = 0
  let energy = 0
  for (let j = 0; j < window; j += 1) energy += x[j] * x[j]
  if (energy / window < 1e-8) return null
  for (let lag = 1; lag <= maxLag; lag += 1) {
    d[lag] = difference(x, lag, window)
    running += d[lag]
    cmnd[lag] = running > 0 ? (d[lag] * lag) / running : 1
  }

  // The first dip under the threshold (its local minimum), else the deepest dip.
  let lag = -1
  for (let t = minLag; t < maxLag; t += 1) {
    if (cmnd[t] < threshold) {
      while (t + 1 < maxLag && cmnd[t + 1] < cmnd[t]) t += 1
      lag = t
      break
    }
  }
  if (lag < 0) {
    let best = minLag
    for (let t = minLag; t < maxLag; t += 1) if (cmnd[t] < cmnd[best]) best = t
    if (cmnd[best] > 0.35) return null
    lag = best
  }
  const clarity = Math.max(0, 1 - cmnd[lag])
  let period = lag + (lag + 1 <= maxLag ? parabola(d[lag - 1], d[lag], d[lag + 1]) : 0)

  // Refinement: the lag of k periods, interpolated, over as many periods as the frame allows.
  for (let k = 2; k * period <= n / 2; k *= 2) {
    const guess = Math.round(k * period)
    const span = n - guess - 3
    let best = guess
    let bestValue = Infinity
    const values = new Map<number, number>()
    const at = (l: number) => {
      let v = values.get(l)
      if (v === undefined) {
        v = difference(x, l, span)
        values.set(l, v)
      }
      return v
    }
    for (let l = guess - 2; l <= guess + 2; l += 1) {
      const v = at(l)
      if (v < bestValue) {
        bestValue = v
        best = l
      }
    }
    period = (best + parabola(at(best - 1), at(best), at(best + 1))) / k
  }
  const frequency = sampleRate / period
  if (frequency < minFrequency || frequency > maxFrequency) return null
  return { frequency, clarity }
}
