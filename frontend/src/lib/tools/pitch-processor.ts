// The tuner's AudioWorklet: collects microphone samples on the audio thread and runs the pitch
// detector there, posting one reading per hop to the page.
import { detectPitch, frameLength } from './pitch'

declare const sampleRate: number
declare class AudioWorkletProcessor {
  readonly port: MessagePort
}
declare function registerProcessor(name: string, processor: new () => AudioWorkletProcessor): void

class PitchProcessor extends AudioWorkletProcessor {
  private readonly size = frameLength(sampleRate)
  private readonly ring = new Float32Array(this.size)
  private readonly frame = new Float32Array(this.size)
  private written = 0
  private sinceLast = 0
  private readonly hop = Math.round(sampleRate * 0.05)

  process(inputs: Float32Array[][]): boolean {
    const input = inputs[0]?.[0]
    if (!input) return true
    for (let i = 0; i < input.length; i += 1) {
      this.ring[this.written % this.size] = input[i]
      this.written += 1
    }
    this.sinceLast += input.length
    if (this.sinceLast >= this.hop && this.written >= this.size) {
      this.sinceLast = 0
      const start = this.written % this.size
      this.frame.set(this.ring.subarray(start))
      this.frame.set(this.ring.subarray(0, start), this.size - start)
      let energy = 0
      for (let i = 0; i < this.size; i += 1) energy += this.frame[i] * this.frame[i]
      const rms = Math.sqrt(energy / this.size)
      const reading = rms > 0.005 ? detectPitch(this.frame, { sampleRate, minFrequency: 50, maxFrequency: 2000 }) : null
      this.port.postMessage({ frequency: reading?.frequency ?? null, clarity: reading?.clarity ?? 0, rms })
    }
    return true
  }
}

registerProcessor('mirubato-pitch', PitchProcessor)
