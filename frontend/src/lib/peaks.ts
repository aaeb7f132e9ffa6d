/** At most this many peaks per recording (the api's limit). */
export const MAX_PEAKS = 2000

/**
 * The waveform of a recording: for each of `count` equal slices of the samples, the loudest
 * absolute sample over every channel, clamped to 0..1 and rounded to 3 decimals (the document
 * stays small). Fewer samples than `count` give one peak per sample.
 */
export function computePeaks(channels: readonly Float32Array[], count: number = MAX_PEAKS): number[] {
  const length = Math.min(...channels.map((channel) => channel.length))
  if (channels.length === 0 || length === 0 || count <= 0) return []
  const buckets = Math.min(Math.floor(count), MAX_PEAKS, length)
  const peaks: number[] = []
  for (let bucket = 0; bucket < buckets; bucket++) {
    const start = Math.floor((bucket * length) / buckets)
    const end = Math.floor(((bucket + 1) * length) / buckets)
    let peak = 0
    for (const channel of channels) {
      for (let i = start; i < end; i++) {
        const value = Math.abs(channel[i])
        if (value > peak) peak = value
      }
    }
    peaks.push(Math.round(Math.min(1, peak) * 1000) / 1000)
  }
  return peaks
}

/** Decode recorded audio in the browser (Web Audio) and compute its peaks; `null` if it cannot be decoded. */
export async function peaksOfBlob(blob: Blob, count: number = MAX_PEAKS): Promise<number[] | null> {
  const context = new OfflineAudioContext(1, 1, 44_100)
  try {
    const buffer = await context.decodeAudioData(await blob.arrayBuffer())
    const channels = Array.from({ length: buffer.numberOfChannels }, (_, i) => buffer.getChannelData(i))
    return computePeaks(channels, count)
  } catch {
    return null
  }
}
