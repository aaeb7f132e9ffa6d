/** How a beat sounds: its accent level. */
export type Accent = 'strong' | 'medium' | 'weak' | 'silent'

export const ACCENTS: readonly Accent[] = ['strong', 'medium', 'weak', 'silent']

/** Gain of each accent level, before the master volume. */
export const ACCENT_GAIN: Record<Accent, number> = { strong: 1, medium: 0.7, weak: 0.45, silent: 0 }

/** Tapping a beat steps through the levels. */
export function nextAccent(accent: Accent): Accent {
  return ACCENTS[(ACCENTS.indexOf(accent) + 1) % ACCENTS.length]
}

export interface Meter {
  /** "6/8" */
  id: string
  /** Clicks per bar (the numerator: in x/8 every eighth clicks). */
  beats: number
  unit: 4 | 8
  /** Beat groups, e.g. 7/8 = 2+2+3: each group starts with a medium accent. */
  groups: number[]
}

export const METERS: Meter[] = [
  { id: '2/4', beats: 2, unit: 4, groups: [2] },
  { id: '3/4', beats: 3, unit: 4, groups: [3] },
  { id: '4/4', beats: 4, unit: 4, groups: [4] },
  { id: '5/4', beats: 5, unit: 4, groups: [3, 2] },
  { id: '6/4', beats: 6, unit: 4, groups: [3, 3] },
  { id: '3/8', beats: 3, unit: 8, groups: [3] },
  { id: '5/8', beats: 5, unit: 8, groups: [3, 2] },
  { id: '6/8', beats: 6, unit: 8, groups: [3, 3] },
  { id: '7/8', beats: 7, unit: 8, groups: [2, 2, 3] },
  { id: '9/8', beats: 9, unit: 8, groups: [3, 3, 3] },
  { id: '12/8', beats: 12, unit: 8, groups: [3, 3, 3, 3] },
]

export function meterById(id: string): Meter {
  return METERS.find((meter) => meter.id === id) ?? METERS[2]
}

/**
 * The default accents of a meter: strong on the downbeat, medium at the start of every other
 * group (6/8: strong-weak-weak-medium-weak-weak; 4/4 with one group: a medium on beat 3).
 */
export function defaultAccents(meter: Meter): Accent[] {
  const accents: Accent[] = Array.from({ length: meter.beats }, () => 'weak')
  let at = 0
  for (const group of meter.groups) {
    accents[at] = 'medium'
    at += group
  }
  if (meter.groups.length === 1 && meter.beats === 4) accents[2] = 'medium'
  accents[0] = 'strong'
  return accents
}

/** `accents` fitted to a meter's length: kept where they fit, defaults elsewhere. */
export function fitAccents(accents: readonly Accent[] | undefined, meter: Meter): Accent[] {
  const base = defaultAccents(meter)
  if (!accents || accents.length !== meter.beats) return base
  return accents.map((accent, i) => (ACCENTS.includes(accent) ? accent : base[i]))
}

export type Subdivision = 'none' | 'eighths' | 'triplets' | 'sixteenths' | 'quintuplets' | 'sextuplets' | 'swing'

export const SUBDIVISIONS: readonly Subdivision[] = ['none', 'eighths', 'triplets', 'sixteenths', 'quintuplets', 'sextuplets', 'swing']

/**
 * Where the subdivision clicks fall inside one beat, as fractions of the beat (the beat itself,
 * at 0, is not included). Swing eighths fall on the third triplet.
 */
export function subdivisionOffsets(subdivision: Subdivision): number[] {
  const even = (n: number) => Array.from({ length: n - 1 }, (_, i) => (i + 1) / n)
  switch (subdivision) {
    case 'none':
      return []
    case 'eighths':
      return even(2)
    case 'triplets':
      return even(3)
    case 'sixteenths':
      return even(4)
    case 'quintuplets':
      return even(5)
    case 'sextuplets':
      return even(6)
    case 'swing':
      return [2 / 3]
  }
}
