/** How note names are written: letters (C D E) or fixed-do solfège (Do Re Mi). */
export type Notation = 'letter' | 'solfege'
export type Accidental = 'sharp' | 'flat'

/** Transposing instruments: how many semitones their written pitch is above concert pitch. */
export const TRANSPOSITIONS = { C: 0, Bb: 2, Eb: 9, F: 7 } as const
export type Transposition = keyof typeof TRANSPOSITIONS

export const MIN_A4 = 415
export const MAX_A4 = 466

const LETTERS = ['C', 'D', 'E', 'F', 'G', 'A', 'B']
const SOLFEGE = ['Do', 'Re', 'Mi', 'Fa', 'Sol', 'La', 'Si']
/** Pitch class → [natural step, accidental] spelled with sharps, and with flats. */
const SHARP: [number, string][] = [[0, ''], [0, '♯'], [1, ''], [1, '♯'], [2, ''], [3, ''], [3, '♯'], [4, ''], [4, '♯'], [5, ''], [5, '♯'], [6, '']]
const FLAT: [number, string][] = [[0, ''], [1, '♭'], [1, ''], [2, '♭'], [2, ''], [3, ''], [4, '♭'], [4, ''], [5, '♭'], [5, ''], [6, '♭'], [6, '']]

/** The name of a pitch class (0 = C) in a notation. */
export function pitchClassName(pitchClass: number, notation: Notation, accidental: Accidental): string {
  const [step, sign] = (accidental === 'flat' ? FLAT : SHARP)[((pitchClass % 12) + 12) % 12]
  return (notation === 'solfege' ? SOLFEGE : LETTERS)[step] + sign
}

export interface NoteReading {
  /** "C♯", "Re♭" */
  name: string
  octave: number
  /** MIDI number of the nearest note, as written for the instrument. */
  midi: number
  /** Deviation from that note, −50 … +50. */
  cents: number
}

export interface NamingOptions {
  a4: number
  notation: Notation
  accidental: Accidental
  transposition: Transposition
}

/** The nearest note to a frequency and how far off it is, as the instrument reads it. */
export function nameFrequency(frequency: number, options: NamingOptions): NoteReading {
  const exact = 69 + 12 * Math.log2(frequency / options.a4)
  const nearest = Math.round(exact)
  const cents = (exact - nearest) * 100
  const midi = nearest + TRANSPOSITIONS[options.transposition]
  return {
    name: pitchClassName(midi, options.notation, options.accidental),
    octave: Math.floor(midi / 12) - 1,
    midi,
    cents,
  }
}

/** Concert frequency of a MIDI note. */
export function midiFrequency(midi: number, a4 = 440): number {
  return a4 * 2 ** ((midi - 69) / 12)
}

/**
 * Steadiness of the last readings: steady when they spread over less than `tolerance` cents
 * (a held note, not yet in tune or already in tune).
 */
export function isSteady(cents: readonly number[], tolerance = 3, needed = 5): boolean {
  if (cents.length < needed) return false
  const recent = cents.slice(-needed)
  return Math.max(...recent) - Math.min(...recent) <= tolerance
}
