import { clampBpm } from './tempo'

/** Tempo trainer: from `start` to `target` BPM, `step` BPM every `barsPerStep` bars. */
export interface TrainerSettings {
  enabled: boolean
  start: number
  target: number
  step: number
  barsPerStep: number
}

/** Gap mode: `play` bars sound, then `mute` bars are silent, again and again. */
export interface GapSettings {
  enabled: boolean
  play: number
  mute: number
}

/**
 * The tempo of bar `bar` (0-based): the start tempo, moved by one step towards the target
 * after each `barsPerStep` bars, then held at the target. Without the trainer: `bpm`.
 */
export function tempoAtBar(bpm: number, trainer: TrainerSettings, bar: number): number {
  if (!trainer.enabled) return clampBpm(bpm)
  const start = clampBpm(trainer.start)
  const target = clampBpm(trainer.target)
  const step = Math.abs(trainer.step)
  const per = Math.max(1, Math.floor(trainer.barsPerStep))
  if (step === 0 || start === target) return start
  const moved = Math.floor(Math.max(0, bar) / per) * step
  return start < target ? Math.min(target, start + moved) : Math.max(target, start - moved)
}

/** The first bars of the trainer: the tempo at which each step begins. */
export function trainerSchedule(trainer: TrainerSettings, steps: number): { bar: number; bpm: number }[] {
  const per = Math.max(1, Math.floor(trainer.barsPerStep))
  const schedule: { bar: number; bpm: number }[] = []
  for (let i = 0; i < steps; i += 1) {
    const bar = i * per
    const bpm = tempoAtBar(trainer.start, trainer, bar)
    if (schedule.length && schedule[schedule.length - 1].bpm === bpm) break
    schedule.push({ bar, bpm })
  }
  return schedule
}

/** Whether bar `bar` is one of the silent bars of gap mode. */
export function isMutedBar(gap: GapSettings, bar: number): boolean {
  if (!gap.enabled || gap.mute <= 0) return false
  const play = Math.max(1, Math.floor(gap.play))
  const cycle = play + Math.floor(gap.mute)
  return bar % cycle >= play
}
