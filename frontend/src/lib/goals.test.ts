import { describe, expect, it } from 'vitest'
import { addMilestone, addProgress, daysLeft, goalCounts, goalProgress, milestoneCount, removeMilestone, toggleMilestone, type Goal } from './goals'
import type { Entry } from './reports'

const goal: Goal = { id: 'g1', title: 'Practise 60 minutes', type: 'practice_time', targetValue: 60, currentValue: 0, status: 'active' }
const entries: Entry[] = [
  { id: 'a', timestamp: '2026-03-01T10:00:00Z', duration: 25, type: 'practice', instrument: 'piano', goalIds: ['g1'] },
  { id: 'b', timestamp: '2026-03-02T10:00:00Z', duration: 40, type: 'practice', instrument: 'piano' },
]

describe('goals', () => {
  it('counts linked entries for practice-time goals only', () => {
    expect(goalProgress(goal, entries)).toEqual({ current: 25, target: 60, fraction: 25 / 60 })
    expect(goalProgress({ ...goal, type: 'custom' }, entries).current).toBe(0)
  })

  it('records progress and completes at the target', () => {
    const halfway = addProgress(goal, 10, entries, new Date('2026-03-03T00:00:00Z'))
    expect(halfway).toMatchObject({ currentValue: 10, status: 'active' })
    expect(halfway.progress).toEqual([{ value: 10, at: '2026-03-03T00:00:00.000Z' }])
    expect(addProgress(halfway, 30, entries, new Date()).status).toBe('completed')
  })

  it('never goes below zero and handles goals without a target', () => {
    expect(addProgress(goal, -50, [], new Date()).currentValue).toBe(0)
    expect(goalProgress({ ...goal, targetValue: null }, []).fraction).toBe(0)
  })
})

describe('milestones, target dates and statuses', () => {
  const goal: Goal = { id: 'goal_1', title: 'Recital', type: 'custom', status: 'active' }

  it('adds, checks off (dated), reopens and removes milestones', () => {
    let next = addMilestone(goal, 'm1', ' Memorise page 1 ', '2026-12-10')
    next = addMilestone(next, 'm2', 'Play it for a friend')
    expect(next.milestones).toEqual([
      { id: 'm1', title: 'Memorise page 1', completed: false, targetDate: '2026-12-10' },
      { id: 'm2', title: 'Play it for a friend', completed: false },
    ])
    expect(goal.milestones).toBeUndefined()
    next = toggleMilestone(next, 'm1', new Date('2026-12-03T10:00:00Z'))
    expect(next.milestones?.[0]).toMatchObject({ completed: true, completedAt: '2026-12-03T10:00:00.000Z' })
    expect(milestoneCount(next)).toEqual({ done: 1, total: 2 })
    next = toggleMilestone(next, 'm1', new Date())
    expect(next.milestones?.[0]).toMatchObject({ completed: false, completedAt: null })
    expect(milestoneCount(removeMilestone(next, 'm2'))).toEqual({ done: 0, total: 1 })
  })

  it('counts days left to the target date by local day', () => {
    const now = new Date(2026, 11, 3, 23, 30)
    expect(daysLeft('2026-12-03', now)).toBe(0)
    expect(daysLeft('2026-12-10', now)).toBe(7)
    expect(daysLeft('2026-12-01', now)).toBe(-2)
    expect(daysLeft(new Date(2026, 11, 4, 9).toISOString(), now)).toBe(1)
    expect(daysLeft(null, now)).toBeNull()
    expect(daysLeft('soon', now)).toBeNull()
  })

  it('counts goals per status (no status is active)', () => {
    expect(goalCounts([goal, { ...goal, status: undefined }, { ...goal, status: 'completed' }, { ...goal, status: 'abandoned' }])).toEqual({
      active: 2,
      completed: 1,
      abandoned: 1,
    })
  })
})
