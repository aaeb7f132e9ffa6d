/** The circle of fifths, clockwise from C: major key, relative minor, key signature. */
export const CIRCLE: { major: string; minor: string; signature: string }[] = [
  { major: 'C', minor: 'A', signature: '0' },
  { major: 'G', minor: 'E', signature: '1♯' },
  { major: 'D', minor: 'B', signature: '2♯' },
  { major: 'A', minor: 'F♯', signature: '3♯' },
  { major: 'E', minor: 'C♯', signature: '4♯' },
  { major: 'B', minor: 'G♯', signature: '5♯' },
  { major: 'F♯/G♭', minor: 'D♯/E♭', signature: '6♯/6♭' },
  { major: 'D♭', minor: 'B♭', signature: '5♭' },
  { major: 'A♭', minor: 'F', signature: '4♭' },
  { major: 'E♭', minor: 'C', signature: '3♭' },
  { major: 'B♭', minor: 'G', signature: '2♭' },
  { major: 'F', minor: 'D', signature: '1♭' },
]

/** Neighbours on the circle are a fifth apart: one accidental more or fewer. */
export function neighbours(index: number): [number, number] {
  return [(index + 11) % 12, (index + 1) % 12]
}
