import { describe, expect, it } from 'vitest'
import { MAX_PEAKS, computePeaks } from './peaks'

describe('computePeaks', () => {
  it('takes the loudest absolute sample of each slice over every channel', () => {
    const left = Float32Array.from([0.1, -0.5, 0.2, 0.0, 0.3, -0.05])
    const right = Float32Array.from([0.0, 0.1, -0.9, 0.0, 0.0, 0.2])
    expect(computePeaks([left, right], 3)).toEqual([0.5, 0.9, 0.3])
  })

  it('clamps to 0..1 and rounds to three decimals', () => {
    expect(computePeaks([Float32Array.from([1.7, -0.12345])], 2)).toEqual([1, 0.123])
  })

  it('never gives more than 2,000 peaks, nor more peaks than samples', () => {
    const long = new Float32Array(100_000).map((_, i) => Math.sin(i / 10))
    const peaks = computePeaks([long], 5000)
    expect(peaks).toHaveLength(MAX_PEAKS)
    expect(peaks.every((p) => p >= 0 && p <= 1)).toBe(true)
    expect(computePeaks([Float32Array.from([0.5, 0.25])], 10)).toEqual([0.5, 0.25])
  })

  it('gives nothing for silence of no length or no channels', () => {
    expect(computePeaks([], 10)).toEqual([])
    expect(computePeaks([new Float32Array(0)], 10)).toEqual([])
  })
})
