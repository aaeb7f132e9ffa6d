import { midiFrequency } from './notes'

export type DroneTimbre = 'sine' | 'rich'

export interface DroneSettings {
  /** MIDI note, octaves 2–5 (C2 = 36 … B5 = 83). */
  midi: number
  timbre: DroneTimbre
  fifth: boolean
  volume: number
  a4: number
}

export const DRONE_MIN_MIDI = 36
export const DRONE_MAX_MIDI = 83

/**
 * A reference pitch that keeps sounding while the user moves around the app: one instance for
 * the whole page lifetime, outside any component.
 */
class Drone {
  private context: AudioContext | null = null
  private voices: { osc: OscillatorNode; gain: GainNode }[] = []
  private master: GainNode | null = null
  private listeners = new Set<() => void>()
  settings: DroneSettings | null = null

  get playing(): boolean {
    return this.settings !== null
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  play(settings: DroneSettings): void {
    this.stopVoices()
    this.context ??= new AudioContext()
    const context = this.context
    void context.resume()
    this.master = context.createGain()
    this.master.gain.setValueAtTime(0, context.currentTime)
    this.master.gain.linearRampToValueAtTime(settings.volume * 0.3, context.currentTime + 0.15)
    this.master.connect(context.destination)
    const notes = settings.fifth ? [settings.midi, settings.midi + 7] : [settings.midi]
    for (const midi of notes) {
      const osc = context.createOscillator()
      if (settings.timbre === 'rich') {
        // A reed-organ-like spectrum: odd and even harmonics falling off.
        osc.setPeriodicWave(context.createPeriodicWave(new Float32Array(9), new Float32Array([0, 1, 0.5, 0.4, 0.25, 0.2, 0.12, 0.08, 0.05])))
      } else {
        osc.type = 'sine'
      }
      osc.frequency.value = midiFrequency(midi, settings.a4)
      const gain = context.createGain()
      gain.gain.value = midi === settings.midi ? 1 : 0.6
      osc.connect(gain).connect(this.master)
      osc.start()
      this.voices.push({ osc, gain })
    }
    this.settings = settings
    this.emit()
  }

  stop(): void {
    this.stopVoices()
    this.settings = null
    this.emit()
  }

  private stopVoices() {
    const context = this.context
    if (!context || !this.master) return
    const master = this.master
    const voices = this.voices
    master.gain.cancelScheduledValues(context.currentTime)
    master.gain.setTargetAtTime(0, context.currentTime, 0.03)
    for (const { osc } of voices) osc.stop(context.currentTime + 0.2)
    setTimeout(() => master.disconnect(), 300)
    this.voices = []
    this.master = null
  }

  private emit() {
    for (const listener of this.listeners) listener()
  }
}

export const drone = new Drone()
