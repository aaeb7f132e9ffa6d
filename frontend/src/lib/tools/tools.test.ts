import { describe, expect, it } from 'vitest'
import { ClickPlanner, DEFAULT_SETTINGS, type MetronomeSettings } from './clicks'
import { defaultAccents, fitAccents, meterById, nextAccent, subdivisionOffsets, METERS } from './meter'
import { isSteady, midiFrequency, nameFrequency, pitchClassName, type NamingOptions } from './notes'
import { detectPitch, frameLength } from './pitch'
import { clampBpm, TapTempo, tempoName } from './tempo'
import { isMutedBar, tempoAtBar, trainerSchedule } from './trainer'
import { renderCount } from './speech'
import { keyInfo } from './theory'
import { decodeWav, encodeWav, instrumentTone } from './wav'

const cents = (measured: number, truth: number) => 1200 * Math.log2(measured / truth)

describe('tap tempo', () => {
  it('averages the intervals of the last taps', () => {
    const tap = new TapTempo(4)
    expect(tap.tap(0)).toBeNull()
    expect(tap.tap(500)).toBe(120)
    expect(tap.tap(1010)).toBe(119)
    // Only the last four taps count: 1010 → 1610 → 2210 → 2810 is 100 BPM.
    tap.tap(1610)
    tap.tap(2210)
    expect(tap.tap(2810)).toBe(100)
  })

  it('starts again after a pause of more than two seconds', () => {
    const tap = new TapTempo()
    tap.tap(0)
    tap.tap(1000)
    expect(tap.tap(3500)).toBeNull()
    expect(tap.tap(3750)).toBe(240)
  })

  it('keeps tempos in range and names them', () => {
    expect(clampBpm(5)).toBe(20)
    expect(clampBpm(999)).toBe(300)
    expect(tempoName(42)).toBe('Largo')
    expect(tempoName(100)).toBe('Andante')
    expect(tempoName(130)).toBe('Allegro')
    expect(tempoName(180)).toBe('Presto')
  })
})

describe('tempo trainer and gap mode', () => {
  const trainer = { enabled: true, start: 80, target: 96, step: 4, barsPerStep: 4 }

  it('adds a step every n bars up to the target', () => {
    expect([0, 3, 4, 7, 8, 12, 16, 40].map((bar) => tempoAtBar(60, trainer, bar))).toEqual([80, 80, 84, 84, 88, 92, 96, 96])
    expect(trainerSchedule(trainer, 20)).toEqual([
      { bar: 0, bpm: 80 },
      { bar: 4, bpm: 84 },
      { bar: 8, bpm: 88 },
      { bar: 12, bpm: 92 },
      { bar: 16, bpm: 96 },
    ])
  })

  it('slows down towards a lower target and is off when disabled', () => {
    const down = { enabled: true, start: 120, target: 110, step: 4, barsPerStep: 2 }
    expect([0, 2, 4, 6].map((bar) => tempoAtBar(60, down, bar))).toEqual([120, 116, 112, 110])
    expect(tempoAtBar(72, { ...trainer, enabled: false }, 50)).toBe(72)
  })

  it('mutes m bars after every n', () => {
    const gap = { enabled: true, play: 3, mute: 1 }
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((bar) => isMutedBar(gap, bar))).toEqual([false, false, false, true, false, false, false, true])
    expect(isMutedBar({ ...gap, enabled: false }, 3)).toBe(false)
  })
})

describe('meters and accents', () => {
  it('accents the downbeat and the start of each group', () => {
    expect(defaultAccents(meterById('4/4'))).toEqual(['strong', 'weak', 'medium', 'weak'])
    expect(defaultAccents(meterById('6/8'))).toEqual(['strong', 'weak', 'weak', 'medium', 'weak', 'weak'])
    expect(defaultAccents(meterById('7/8'))).toEqual(['strong', 'weak', 'medium', 'weak', 'medium', 'weak', 'weak'])
    for (const meter of METERS) expect(defaultAccents(meter)).toHaveLength(meter.beats)
  })

  it('cycles a tapped beat through the levels and fits patterns to the meter', () => {
    expect(nextAccent('strong')).toBe('medium')
    expect(nextAccent('weak')).toBe('silent')
    expect(nextAccent('silent')).toBe('strong')
    expect(fitAccents(['weak', 'strong', 'silent'], meterById('3/4'))).toEqual(['weak', 'strong', 'silent'])
    expect(fitAccents(['weak', 'strong'], meterById('3/4'))).toEqual(['strong', 'weak', 'weak'])
  })

  it('places subdivisions inside the beat', () => {
    expect(subdivisionOffsets('none')).toEqual([])
    expect(subdivisionOffsets('sixteenths')).toEqual([0.25, 0.5, 0.75])
    expect(subdivisionOffsets('swing')).toEqual([2 / 3])
    expect(subdivisionOffsets('quintuplets')).toHaveLength(4)
  })
})

describe('click planner', () => {
  const settings = (over: Partial<MetronomeSettings>): MetronomeSettings => ({ ...DEFAULT_SETTINGS, ...over })

  it('plans every click once on the ideal grid across windows', () => {
    const planner = new ClickPlanner(settings({ bpm: 120, meter: '3/4', accents: ['strong', 'silent', 'weak'], subdivision: 'eighths' }), 1)
    const clicks = [0.3, 1.2, 2.05, 3.6].flatMap((until) => planner.until(until))
    const beats = clicks.filter((c) => c.sub === 0)
    expect(beats.map((c) => c.time)).toEqual([1, 1.5, 2, 2.5, 3, 3.5])
    expect(beats.map((c) => c.beat)).toEqual([0, 1, 2, 0, 1, 2])
    expect(beats.map((c) => c.gain)).toEqual([1, 0, 0.45, 1, 0, 0.45])
    expect(clicks.filter((c) => c.sub === 1).map((c) => c.time)).toEqual([1.25, 1.75, 2.25, 2.75, 3.25, 3.75])
  })

  it('follows the trainer bar by bar and silences gap bars', () => {
    const planner = new ClickPlanner(
      settings({ meter: '2/4', accents: ['strong', 'weak'], trainer: { enabled: true, start: 60, target: 120, step: 60, barsPerStep: 1 }, gap: { enabled: true, play: 1, mute: 1 } }),
      0,
    )
    const beats = planner.until(3.1)
    expect(beats.map((c) => c.time)).toEqual([0, 1, 2, 2.5, 3])
    expect(beats.map((c) => c.muted)).toEqual([false, false, true, true, false])
    expect(beats.map((c) => c.gain > 0)).toEqual([true, true, false, false, true])
  })
})

describe('pitch detection', () => {
  const rate = 48000
  const detect = (samples: Float32Array, sampleRate = rate) => {
    const n = frameLength(sampleRate)
    return detectPitch(samples.subarray(sampleRate * 0.1, sampleRate * 0.1 + n), { sampleRate, minFrequency: 50, maxFrequency: 2000 })
  }

  it('reads pure sines within ±2 cents from 60 to 1,500 Hz', () => {
    for (let f = 60; f <= 1500; f *= 1.037) {
      const tone = instrumentTone(f, 0.4, rate, { harmonics: [1], noise: 0 })
      const reading = detect(tone)
      expect(reading, `${f} Hz`).not.toBeNull()
      expect(Math.abs(cents(reading!.frequency, f)), `${f} Hz`).toBeLessThan(2)
    }
  })

  it('reads harmonic tones with noise within ±2 cents, at 44.1 and 48 kHz', () => {
    let worst = 0
    for (const sampleRate of [44100, 48000]) {
      for (let f = 60; f <= 1500; f *= 1.059) {
        const tone = instrumentTone(f, 0.4, sampleRate, { noise: 0.03, seed: Math.round(f) })
        const reading = detect(tone, sampleRate)
        expect(reading, `${f} Hz`).not.toBeNull()
        worst = Math.max(worst, Math.abs(cents(reading!.frequency, f)))
      }
    }
    expect(worst).toBeLessThan(2)
  })

  it('reads a recorded violin-like note from a WAV file: note and cents', () => {
    // A4 a little sharp (+7 cents), strong second harmonic, bow noise; written and read back as WAV.
    const truth = 440 * 2 ** (7 / 1200)
    const wav = encodeWav(instrumentTone(truth, 1, rate, { harmonics: [0.7, 1, 0.6, 0.5, 0.3, 0.25, 0.15, 0.1], noise: 0.04, seed: 7 }), rate)
    const { samples, sampleRate } = decodeWav(wav)
    const reading = detect(samples, sampleRate)!
    const note = nameFrequency(reading.frequency, { a4: 440, notation: 'letter', accidental: 'sharp', transposition: 'C' })
    expect(`${note.name}${note.octave}`).toBe('A4')
    expect(Math.abs(note.cents - 7)).toBeLessThan(2)
  })

  it('reads a low guitar E from a WAV file and finds nothing in silence or noise', () => {
    const truth = midiFrequency(40) // E2, 82.4 Hz
    const { samples, sampleRate } = decodeWav(encodeWav(instrumentTone(truth, 1, 44100, { harmonics: [1, 0.9, 0.7, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1], noise: 0.02 }), 44100))
    const reading = detect(samples, sampleRate)!
    expect(Math.abs(cents(reading.frequency, truth))).toBeLessThan(2)
    expect(detect(new Float32Array(rate))).toBeNull()
    let state = 1
    const noise = Float32Array.from({ length: rate }, () => ((state = (state * 16807) % 2147483647) / 2147483647 - 0.5) * 0.5)
    expect(detect(noise)).toBeNull()
  })
})

describe('note naming', () => {
  const letters: NamingOptions = { a4: 440, notation: 'letter', accidental: 'sharp', transposition: 'C' }

  it('names notes with sharps, flats or solfège, with cents', () => {
    expect(nameFrequency(440, letters)).toMatchObject({ name: 'A', octave: 4, midi: 69 })
    expect(nameFrequency(261.63, letters)).toMatchObject({ name: 'C', octave: 4 })
    expect(nameFrequency(277.18, letters).name).toBe('C♯')
    expect(nameFrequency(277.18, { ...letters, accidental: 'flat' }).name).toBe('D♭')
    expect(nameFrequency(277.18, { ...letters, notation: 'solfege', accidental: 'flat' }).name).toBe('Re♭')
    expect(nameFrequency(392, { ...letters, notation: 'solfege' }).name).toBe('Sol')
    expect(nameFrequency(440 * 2 ** (10 / 1200), letters).cents).toBeCloseTo(10, 6)
    expect(pitchClassName(11, 'solfege', 'sharp')).toBe('Si')
  })

  it('follows the reference pitch', () => {
    expect(nameFrequency(415, { ...letters, a4: 415 })).toMatchObject({ name: 'A', octave: 4 })
    expect(nameFrequency(415, letters).name).toBe('G♯')
    expect(nameFrequency(442, letters).cents).toBeCloseTo(7.85, 1)
  })

  it('shows the written note of transposing instruments', () => {
    // Concert B♭3 is a written C4 for a B♭ clarinet; concert E♭4 a written C5 for an alto saxophone; concert F3 a written C4 for a horn in F.
    expect(nameFrequency(midiFrequency(58), { ...letters, transposition: 'Bb' })).toMatchObject({ name: 'C', octave: 4 })
    expect(nameFrequency(midiFrequency(63), { ...letters, transposition: 'Eb' })).toMatchObject({ name: 'C', octave: 5 })
    expect(nameFrequency(midiFrequency(53), { ...letters, transposition: 'F' })).toMatchObject({ name: 'C', octave: 4 })
  })

  it('calls a held note steady', () => {
    expect(isSteady([1, 2, 1.5, 2.5, 1])).toBe(true)
    expect(isSteady([1, 9, 1.5, 2.5, 1])).toBe(false)
    expect(isSteady([1, 1])).toBe(false)
  })
})

describe('circle of fifths keys', () => {
  it('spells scales, signatures, relative minors and diatonic chords', () => {
    const eFlat = keyInfo(9)
    expect(eFlat.scale.join(' ')).toBe('E♭ F G A♭ B♭ C D')
    expect(eFlat).toMatchObject({ tonic: 'E♭', relativeMinor: 'C', signature: -3 })
    expect(eFlat.chords.map((c) => c.name)).toEqual(['E♭', 'Fm', 'Gm', 'A♭', 'B♭', 'Cm', 'D°'])
    expect(keyInfo(5).scale.join(' ')).toBe('B C♯ D♯ E F♯ G♯ A♯')
    expect(keyInfo(6)).toMatchObject({ tonic: 'G♭', signature: -6 })
    expect(keyInfo(6).scale).toContain('C♭')
    expect(keyInfo(1, 'solfege').scale.join(' ')).toBe('Sol La Si Do Re Mi Fa♯')
    expect(keyInfo(0).triad).toEqual([60, 64, 67])
    expect(keyInfo(0).scaleMidi).toEqual([60, 62, 64, 65, 67, 69, 71, 72])
  })
})

describe('spoken count', () => {
  /** Energy of `x` in a frequency band (a DFT over the band, 25 Hz steps). */
  const bandEnergy = (x: Float32Array, sampleRate: number, low: number, high: number) => {
    let energy = 0
    for (let f = low; f <= high; f += 25) {
      let re = 0
      let im = 0
      for (let i = 0; i < x.length; i += 1) {
        re += x[i] * Math.cos((2 * Math.PI * f * i) / sampleRate)
        im -= x[i] * Math.sin((2 * Math.PI * f * i) / sampleRate)
      }
      energy += re * re + im * im
    }
    return energy
  }

  it('says twelve different words, each starting at once and within a half-second', () => {
    const words = Array.from({ length: 12 }, (_, beat) => renderCount(beat, 48000))
    for (const word of words) {
      expect(word.length).toBeGreaterThan(48000 * 0.2)
      expect(word.length).toBeLessThan(48000 * 0.5)
      expect(Math.max(...word.subarray(0, 480).map(Math.abs))).toBeGreaterThan(0.01)
      expect(Math.max(...word.map(Math.abs))).toBeCloseTo(0.8, 5)
    }
    expect(new Set(words.map((w) => w.length)).size).toBeGreaterThan(8)
    expect(renderCount(12, 48000)).toEqual(words[0])
  })

  it('gives "two" its dark vowel and "three" its bright one (second formant)', () => {
    const rate = 16000
    const vowel = (beat: number, fromMs: number) => renderCount(beat, rate).subarray((fromMs / 1000) * rate, ((fromMs + 120) / 1000) * rate)
    const brightness = (x: Float32Array) => bandEnergy(x, rate, 2000, 2600) / bandEnergy(x, rate, 700, 1000)
    const two = brightness(vowel(1, 110))
    const three = brightness(vowel(2, 150))
    expect(three).toBeGreaterThan(two * 10)
  })
})
