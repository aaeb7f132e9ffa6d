/** 16-bit mono PCM WAV: enough to write a test recording and read it back. */
export function encodeWav(samples: Float32Array, sampleRate: number): Uint8Array {
  const bytes = new Uint8Array(44 + samples.length * 2)
  const view = new DataView(bytes.buffer)
  const text = (at: number, s: string) => [...s].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)))
  text(0, 'RIFF')
  view.setUint32(4, 36 + samples.length * 2, true)
  text(8, 'WAVE')
  text(12, 'fmt ')
  view.setUint32(16, 16, true)
  view.setUint16(20, 1, true)
  view.setUint16(22, 1, true)
  view.setUint32(24, sampleRate, true)
  view.setUint32(28, sampleRate * 2, true)
  view.setUint16(32, 2, true)
  view.setUint16(34, 16, true)
  text(36, 'data')
  view.setUint32(40, samples.length * 2, true)
  samples.forEach((s, i) => view.setInt16(44 + i * 2, Math.round(Math.max(-1, Math.min(1, s)) * 32767), true))
  return bytes
}

/** The samples and rate of a 16-bit PCM WAV (first channel). */
export function decodeWav(bytes: Uint8Array): { samples: Float32Array; sampleRate: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4))
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('not a WAV file')
  let at = 12
  let channels = 1
  let sampleRate = 0
  while (at + 8 <= bytes.length) {
    const size = view.getUint32(at + 4, true)
    if (tag(at) === 'fmt ') {
      if (view.getUint16(at + 8, true) !== 1 || view.getUint16(at + 22, true) !== 16) throw new Error('only 16-bit PCM')
      channels = view.getUint16(at + 10, true)
      sampleRate = view.getUint32(at + 12, true)
    } else if (tag(at) === 'data') {
      const frames = Math.floor(size / 2 / channels)
      const samples = new Float32Array(frames)
      for (let i = 0; i < frames; i += 1) samples[i] = view.getInt16(at + 8 + i * 2 * channels, true) / 32768
      return { samples, sampleRate }
    }
    at += 8 + size + (size % 2)
  }
  throw new Error('no data chunk')
}

/**
 * A synthetic instrument note: a fundamental with decaying harmonics (bowed-string-like
 * spectrum), a little vibrato-free bow noise and an attack, deterministic for a seed.
 */
export function instrumentTone(frequency: number, seconds: number, sampleRate: number, options: { harmonics?: number[]; noise?: number; seed?: number } = {}): Float32Array {
  const harmonics = options.harmonics ?? [1, 0.6, 0.45, 0.3, 0.2, 0.12, 0.08]
  const noiseLevel = options.noise ?? 0.02
  let state = options.seed ?? 12345
  const random = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff
    return state / 0x7fffffff - 0.5
  }
  const out = new Float32Array(Math.round(seconds * sampleRate))
  const phases = harmonics.map((_, i) => (i * 0.7) % (2 * Math.PI))
  const norm = harmonics.reduce((a, b) => a + b, 0)
  for (let i = 0; i < out.length; i += 1) {
    const t = i / sampleRate
    let v = 0
    harmonics.forEach((amplitude, h) => {
      const f = frequency * (h + 1)
      if (f < sampleRate / 2) v += amplitude * Math.sin(2 * Math.PI * f * t + phases[h])
    })
    const envelope = Math.min(1, t / 0.03)
    out[i] = (0.6 * envelope * v) / norm + noiseLevel * 2 * random()
  }
  return out
}
