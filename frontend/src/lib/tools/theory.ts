import { pitchClassName, type Accidental, type Notation } from './notes'

/** Tonic pitch class (0 = C) of each key of the circle of fifths, clockwise from C. */
export const CIRCLE_TONICS = [0, 7, 2, 9, 4, 11, 6, 1, 8, 3, 10, 5]

const MAJOR_STEPS = [0, 2, 4, 5, 7, 9, 11]
const QUALITIES = ['', 'm', 'm', '', '', 'm', '°'] as const
const NUMERALS = ['I', 'ii', 'iii', 'IV', 'V', 'vi', 'vii°']

/** Keys written with flats (F … G♭), and with sharps (G … F♯); C has neither. */
function spelling(position: number): Accidental {
  return position >= 6 ? 'flat' : 'sharp'
}

export interface KeyInfo {
  tonic: string
  relativeMinor: string
  /** Sharps (positive) or flats (negative) in the key signature. */
  signature: number
  scale: string[]
  chords: { numeral: string; name: string }[]
  /** MIDI notes of the tonic triad (around middle C) and the ascending scale, to play. */
  triad: number[]
  scaleMidi: number[]
}

/** The major key at `position` on the circle (0 = C, 1 = G, …, 11 = F). */
export function keyInfo(position: number, notation: Notation = 'letter'): KeyInfo {
  const tonicPc = CIRCLE_TONICS[position]
  const accidental = spelling(position)
  const scalePcs = MAJOR_STEPS.map((step) => (tonicPc + step) % 12)
  // Spell the scale with one letter per degree: F major has B♭, F♯ major has E♯.
  const letters = ['C', 'D', 'E', 'F', 'G', 'A', 'B']
  const natural = [0, 2, 4, 5, 7, 9, 11]
  const tonicName = pitchClassName(tonicPc, 'letter', accidental)
  const start = letters.indexOf(tonicName[0])
  const scale = scalePcs.map((pc, degree) => {
    const letter = (start + degree) % 7
    let offset = (pc - natural[letter] + 12) % 12
    if (offset > 6) offset -= 12
    const sign = offset > 0 ? '♯'.repeat(offset) : '♭'.repeat(-offset)
    const name = notation === 'solfege' ? ['Do', 'Re', 'Mi', 'Fa', 'Sol', 'La', 'Si'][letter] : letters[letter]
    return name + sign
  })
  const signature = position <= 5 ? position : position - 12
  const tonicMidi = 60 + (tonicPc > 6 ? tonicPc - 12 : tonicPc)
  return {
    tonic: scale[0],
    relativeMinor: scale[5],
    signature,
    scale,
    chords: scale.map((note, i) => ({ numeral: NUMERALS[i], name: note + QUALITIES[i] })),
    triad: [tonicMidi, tonicMidi + 4, tonicMidi + 7],
    scaleMidi: [...MAJOR_STEPS.map((step) => tonicMidi + step), tonicMidi + 12],
  }
}
