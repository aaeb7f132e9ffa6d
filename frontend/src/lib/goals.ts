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
  milestones?: Milestone[] | null
}

export const GOAL_STATUSES = ['active', 'completed', 'abandoned'] as const
export type GoalStatus = (typeof GOAL_STATUSES)[number]

/** A step towards a goal, as the API's `milestones` holds them. */
export interface Milestone {
  id: string
  title: string
  targetDate?: string | null
  completed: boolean
  completedAt?: string | null
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

/** The goal with a new milestone at the end. */
export function addMilestone(goal: Goal, id: string, title: string, targetDate?: string | null): Goal {
  const milestone: Milestone = { id, title: title.trim(), completed: false, ...(targetDate ? { targetDate } : {}) }
  return { ...goal, milestones: [...(goal.milestones ?? []), milestone] }
}

/** The goal with a milestone checked off (dated) or opened again. */
export function toggleMilestone(goal: Goal, id: string, at: Date): Goal {
  return {
    ...goal,
    milestones: (goal.milestones ?? []).map((m) =>
      m.id !== id ? m : m.completed ? { ...m, completed: false, completedAt: null } : { ...m, completed: true, completedAt: at.toISOString() },
    ),
  }
}

export function removeMilestone(goal: Goal, id: string): Goal {
  return { ...goal, milestones: (goal.milestones ?? []).filter((m) => m.id !== id) }
}

/** Milestones done and in all. */
export function milestoneCount(goal: Goal): { done: number; total: number } {
  const all = goal.milestones ?? []
  return { done: all.filter((m) => m.completed).length, total: all.length }
}

/**
 * Whole days from `now`'s local day to the target date (negative once past), or null without
 * one. A date-only target is that local day; an ISO time counts by its local day.
 */
export function daysLeft(targetDate: string | null | undefined, now: Date): number | null {
  if (!targetDate) return null
  const day = /^\d{4}-\d{2}-\d{2}$/.test(targetDate) ? targetDate : localDate(new Date(targetDate))
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null
  const noon = (d: string) => Date.parse(`${d}T12:00:00`)
  return Math.round((noon(day) - noon(localDate(now))) / 86_400_000)
}

function localDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
}

/** Goals per status, for the tiles. */
export function goalCounts(goals: Goal[]): Record<GoalStatus, number> {
  const counts: Record<GoalStatus, number> = { active: 0, completed: 0, abandoned: 0 }
  for (const goal of goals) counts[goal.status ?? 'active'] += 1
  return counts
}
