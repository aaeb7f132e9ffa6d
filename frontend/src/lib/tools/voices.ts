import type { Voice } from './clicks'

/** Which click of a voice: the accented downbeat, a medium or weak beat, or a subdivision. */
export type ClickKind = 'strong' | 'medium' | 'weak' | 'sub'

/** Length of every click sample. */
export const CLICK_SECONDS = 0.06

/** Deterministic noise (the same click every time, in tests too). */
function noise(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return ((state >>> 0) / 0xffffffff) * 2 - 1
  }
}

const PITCH: Record<Exclude<Voice, 'count'>, Record<ClickKind, number>> = {
  wood: { strong: 1250, medium: 1000, weak: 880, sub: 1500 },
  beep: { strong: 1760, medium: 1320, weak: 880, sub: 1100 },
  clave: { strong: 2800, medium: 2500, weak: 2300, sub: 3200 },
}

/**
 * One click, synthesised: a woodblock (a damped resonance with a noise transient), an electronic
 * beep (a sine with a short envelope) or a clave (a bright, very short resonance); the spoken
 * count is `speech.ts`, its subdivisions the woodblock's. The first
 * sample is the onset: no silence before it, so the click starts exactly where it is scheduled.
 */
export function renderClick(voice: Exclude<Voice, 'count'>, kind: ClickKind, sampleRate: number): Float32Array {
  const length = Math.round(CLICK_SECONDS * sampleRate)
  const out = new Float32Array(length)
  const f = PITCH[voice][kind]
  const random = noise(Math.round(f))
  for (let i = 0; i < length; i += 1) {
    const t = i / sampleRate
    const attack = Math.min(1, i / 8 + 0.25)
    let v: number
    if (voice === 'wood') {
      v = Math.sin(2 * Math.PI * f * t) * Math.exp(-t * 90) + 0.5 * Math.sin(2 * Math.PI * f * 2.7 * t) * Math.exp(-t * 160) + random() * 0.3 * Math.exp(-t * 900)
    } else if (voice === 'beep') {
      v = Math.sin(2 * Math.PI * f * t) * Math.max(0, Math.min(1, (CLICK_SECONDS * 0.6 - t) * 200))
    } else {
      v = Math.sin(2 * Math.PI * f * t) * Math.exp(-t * 140) + random() * 0.15 * Math.exp(-t * 2000)
    }
    out[i] = Math.max(-1, Math.min(1, v * attack * 0.9))
  }
  return out
}
