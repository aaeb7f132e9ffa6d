import { midiFrequency } from './notes'

/** A soft, piano-like tone (a few decaying harmonics) at `time` on `context`. */
export function pluck(context: BaseAudioContext, destination: AudioNode, midi: number, time: number, seconds: number, level = 0.25): void {
  const frequency = midiFrequency(midi)
  const gain = context.createGain()
  gain.gain.setValueAtTime(0, time)
  gain.gain.linearRampToValueAtTime(level, time + 0.01)
  gain.gain.exponentialRampToValueAtTime(0.001, time + seconds)
  gain.connect(destination)
  const wave = context.createPeriodicWave(new Float32Array([0, 0, 0, 0, 0]), new Float32Array([0, 1, 0.35, 0.15, 0.08]))
  const osc = context.createOscillator()
  osc.setPeriodicWave(wave)
  osc.frequency.value = frequency
  osc.connect(gain)
  osc.start(time)
  osc.stop(time + seconds + 0.05)
}

let shared: AudioContext | null = null

/** One AudioContext for the toolbox's one-shot sounds (the circle of fifths). */
export function sharedContext(): AudioContext {
  shared ??= new AudioContext()
  void shared.resume()
  return shared
}

/** The tonic chord, then the scale up: what a key sounds like. Returns its length in seconds. */
export function playKey(triad: number[], scale: number[]): number {
  const context = sharedContext()
  const now = context.currentTime + 0.05
  for (const midi of triad) pluck(context, context.destination, midi, now, 1.2, 0.18)
  scale.forEach((midi, i) => pluck(context, context.destination, midi, now + 1.3 + i * 0.28, 0.5, 0.25))
  return 1.3 + scale.length * 0.28 + 0.5
}
