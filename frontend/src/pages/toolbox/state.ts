import { useCallback, useSyncExternalStore } from 'react'
import type { Doc } from '../../lib/documents'
import { DEFAULT_SETTINGS, VOICES, type MetronomeSettings } from '../../lib/tools/clicks'
import { ACCENTS, fitAccents, meterById, SUBDIVISIONS } from '../../lib/tools/meter'
import { clampBpm } from '../../lib/tools/tempo'
import { useDocuments, useSave } from '../../services'

/**
 * Tool settings survive reloads on this device (localStorage); presets and practice counts are
 * synced across the user's devices in one `user_preferences` document with this id (the
 * account's own preferences document has the user id; the preferences REST route refuses
 * unknown keys and replaces the whole document, so the toolbox keeps a document of its own).
 */
export const TOOLBOX_DOC_ID = 'toolbox'
const LOCAL_PREFIX = 'mirubato.toolbox.'

const cache = new Map<string, unknown>()
const listeners = new Map<string, Set<() => void>>()

function readStored<T>(key: string, initial: T, sanitize: (value: T) => T): T {
  if (cache.has(key)) return cache.get(key) as T
  let value = initial
  try {
    const raw = localStorage.getItem(LOCAL_PREFIX + key)
    if (raw) {
      const stored = JSON.parse(raw) as unknown
      value = sanitize(initial && typeof initial === 'object' && !Array.isArray(initial) ? { ...initial, ...(stored as object) } : (stored as T))
    }
  } catch {
    value = initial
  }
  cache.set(key, value)
  return value
}

/**
 * State kept in localStorage under `mirubato.toolbox.<key>` (merged over `initial`), shared by
 * every component that uses the same key: a change in one tool shows at once in the others.
 */
export function usePersistent<T>(key: string, initial: T, sanitize: (value: T) => T = (v) => v): [T, (next: T | ((current: T) => T)) => void] {
  const subscribe = useCallback(
    (listener: () => void) => {
      const set = listeners.get(key) ?? new Set()
      listeners.set(key, set)
      set.add(listener)
      return () => set.delete(listener)
    },
    [key],
  )
  const value = useSyncExternalStore(subscribe, () => readStored(key, initial, sanitize))
  const update = useCallback(
    (next: T | ((current: T) => T)) => {
      const current = readStored(key, initial, sanitize)
      const value = typeof next === 'function' ? (next as (current: T) => T)(current) : next
      cache.set(key, value)
      localStorage.setItem(LOCAL_PREFIX + key, JSON.stringify(value))
      listeners.get(key)?.forEach((listener) => listener())
    },
    // `initial` and `sanitize` are constants of each caller.
    [key],
  )
  return [value, update]
}

const clamp = (n: unknown, min: number, max: number, fallback: number) => (typeof n === 'number' && Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback)

/** Settings read from storage or a synced preset, made safe to play. */
export function sanitizeSettings(raw: Partial<MetronomeSettings>): MetronomeSettings {
  const meter = meterById(typeof raw.meter === 'string' ? raw.meter : DEFAULT_SETTINGS.meter)
  const trainer = { ...DEFAULT_SETTINGS.trainer, ...(raw.trainer ?? {}) }
  const gap = { ...DEFAULT_SETTINGS.gap, ...(raw.gap ?? {}) }
  return {
    bpm: clampBpm(Number(raw.bpm ?? DEFAULT_SETTINGS.bpm)),
    meter: meter.id,
    accents: fitAccents(Array.isArray(raw.accents) ? raw.accents.filter((a) => ACCENTS.includes(a)) : undefined, meter),
    subdivision: SUBDIVISIONS.includes(raw.subdivision!) ? raw.subdivision! : 'none',
    subdivisionVolume: clamp(raw.subdivisionVolume, 0, 1, DEFAULT_SETTINGS.subdivisionVolume),
    voice: VOICES.includes(raw.voice!) ? raw.voice! : 'wood',
    volume: clamp(raw.volume, 0, 1, DEFAULT_SETTINGS.volume),
    trainer: {
      enabled: Boolean(trainer.enabled),
      start: clampBpm(Number(trainer.start)),
      target: clampBpm(Number(trainer.target)),
      step: clamp(trainer.step, 1, 40, 4),
      barsPerStep: Math.round(clamp(trainer.barsPerStep, 1, 64, 4)),
    },
    gap: { enabled: Boolean(gap.enabled), play: Math.round(clamp(gap.play, 1, 32, 2)), mute: Math.round(clamp(gap.mute, 1, 32, 2)) },
  }
}

export interface Preset {
  id: string
  name: string
  settings: MetronomeSettings
  /** The repertoire item (its id) this preset belongs to, if any. */
  pieceId?: string
}

export interface ToolboxDoc extends Doc {
  presets: Preset[]
  /** Repetitions counted per piece (repertoire item id; `''` for no piece). */
  counters: Record<string, number>
}

/** The synced toolbox document, and a way to change it. */
export function useToolboxDoc(): { doc: ToolboxDoc; ready: boolean; update: (change: (doc: ToolboxDoc) => ToolboxDoc) => Promise<void> } {
  const docs = useDocuments('user_preferences')
  const { save } = useSave()
  const raw = docs?.find((d) => d.id === TOOLBOX_DOC_ID)
  const doc: ToolboxDoc = {
    ...(raw ?? {}),
    id: TOOLBOX_DOC_ID,
    presets: Array.isArray(raw?.presets) ? (raw.presets as Preset[]).filter((p) => p && typeof p.id === 'string' && typeof p.name === 'string').map((p) => ({ ...p, settings: sanitizeSettings(p.settings ?? {}) })) : [],
    counters: raw?.counters && typeof raw.counters === 'object' ? (raw.counters as Record<string, number>) : {},
  }
  const update = async (change: (doc: ToolboxDoc) => ToolboxDoc) => {
    await save('user_preferences', change(doc))
  }
  return { doc, ready: docs !== undefined, update }
}
