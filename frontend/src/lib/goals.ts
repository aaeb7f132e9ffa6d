import type { Doc } from './documents'
import type { Entry } from './reports'

export const GOAL_TYPES = ['practice_time', 'repertoire', 'accuracy', 'custom'] as const
export type GoalType = (typeof GOAL_TYPES)[number]

export interface Goal extends Doc {
  title: string
  type: GoalType
  targetValue?: number | null
  currentValue?: number
  targetDate?: string | null
  status?: 'active' | 'completed' | 'abandoned'
  progress?: { value: number; notes?: string; at: string }[]
}

export function asGoals(docs: Doc[] | undefined): Goal[] {
  return (docs ?? []).filter((doc): doc is Goal => typeof doc.title === 'string' && typeof doc.type === 'string')
}

/**
 * Progress towards the target: recorded progress, plus for practice-time goals the minutes of
 * the live entries linked to the goal.
 */
export function goalProgress(goal: Goal, entries: Entry[]): { current: number; target: number | null; fraction: number } {
  const linked = goal.type === 'practice_time'
    ? entries.filter((e) => e.goalIds?.includes(goal.id)).reduce((sum, e) => sum + e.duration, 0)
    : 0
  const current = (goal.currentValue ?? 0) + linked
  const target = typeof goal.targetValue === 'number' && goal.targetValue > 0 ? goal.targetValue : null
  return { current, target, fraction: target ? Math.min(1, current / target) : goal.status === 'completed' ? 1 : 0 }
}

/** The goal after recording progress; it completes once it reaches its target. */
export function addProgress(goal: Goal, value: number, entries: Entry[], at: Date): Goal {
  const currentValue = Math.max(0, (goal.currentValue ?? 0) + value)
  const next: Goal = {
    ...goal,
    currentValue,
    progress: [...(goal.progress ?? []), { value, at: at.toISOString() }].slice(-500),
  }
  const { target, current } = goalProgress(next, entries)
  if (target !== null && current >= target) next.status = 'completed'
  return next
}
