import { describe, expect, it } from 'vitest'
import { planFromTemplate, scheduleOccurrences, templateFromPlan, type Plan } from './planning'

const plan: Plan = {
  id: 'plan_1',
  title: 'Scales',
  schedule: { kind: 'weekly', startDate: '2026-03-01', count: 3, durationMinutes: 30 },
}

describe('planning', () => {
  it('schedules weekly sessions at 09:00 local with their duration', () => {
    const occurrences = scheduleOccurrences(plan)
    expect(occurrences).toHaveLength(3)
    const starts = occurrences.map((o) => new Date(o.scheduledStart))
    expect(starts.map((d) => [d.getMonth() + 1, d.getDate(), d.getHours()])).toEqual([
      [3, 1, 9],
      [3, 8, 9],
      [3, 15, 9],
    ])
    expect(Date.parse(occurrences[0].scheduledEnd) - starts[0].getTime()).toBe(30 * 60_000)
    expect(occurrences.every((o) => o.planId === 'plan_1' && o.status === 'scheduled')).toBe(true)
  })

  it('schedules one session for a one-off plan and caps long series', () => {
    expect(scheduleOccurrences({ ...plan, schedule: { ...plan.schedule!, kind: 'once', count: 9 } })).toHaveLength(1)
    expect(scheduleOccurrences({ ...plan, schedule: { ...plan.schedule!, kind: 'daily', count: 1000 } })).toHaveLength(200)
    expect(scheduleOccurrences({ id: 'p', title: 'x' })).toEqual([])
  })

  it('round-trips a plan through a template with a new start date', () => {
    const template = templateFromPlan(plan)
    expect(template).toMatchObject({ title: 'Scales', visibility: 'private', schedule: plan.schedule })
    const copy = planFromTemplate(template, '2026-04-01')
    expect(copy.id).not.toBe(plan.id)
    expect(copy).toMatchObject({ title: 'Scales', sourceTemplateId: template.id, schedule: { startDate: '2026-04-01', count: 3 } })
  })
})
