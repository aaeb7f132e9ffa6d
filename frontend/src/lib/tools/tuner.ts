import processorUrl from './pitch-processor.ts?worker&url'

export interface TunerReading {
  frequency: number | null
  clarity: number
  rms: number
}

/** A running tuner: the microphone into the pitch AudioWorklet. */
export interface TunerSession {
  stop(): void
}

/** Open the microphone and report a reading every 50 ms. Throws when the microphone is refused. */
export async function startTuner(onReading: (reading: TunerReading) => void): Promise<TunerSession> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  })
  const context = new AudioContext()
  try {
    await context.audioWorklet.addModule(processorUrl)
    const source = context.createMediaStreamSource(stream)
    const node = new AudioWorkletNode(context, 'mirubato-pitch', { numberOfInputs: 1, numberOfOutputs: 0 })
    node.port.onmessage = (event: MessageEvent<TunerReading>) => onReading(event.data)
    source.connect(node)
    await context.resume()
  } catch (error) {
    stream.getTracks().forEach((track) => track.stop())
    void context.close()
    throw error
  }
  let stopped = false
  return {
    stop() {
      if (stopped) return
      stopped = true
      stream.getTracks().forEach((track) => track.stop())
      void context.close()
    },
  }
}
