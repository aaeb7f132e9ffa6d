import { describe, expect, it } from 'vitest'
import { addProgress, goalProgress, type Goal } from './goals'
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
