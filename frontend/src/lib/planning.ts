import type { Doc } from './documents'
import { newId } from './ids'

export type Repeat = 'once' | 'daily' | 'weekly'

export interface Plan extends Doc {
  title: string
  focusAreas?: string[]
  status?: string
  schedule?: { kind: Repeat; startDate: string; count: number; durationMinutes: number }
}

export interface Occurrence extends Doc {
  planId: string
  scheduledStart: string
  scheduledEnd: string
  status: 'scheduled' | 'completed' | 'skipped'
  checkIn?: { at: string; entryId?: string }
}

export interface Template extends Doc {
  title: string
  focusAreas?: string[]
  schedule?: Plan['schedule']
  visibility?: 'private' | 'public'
}

/** The plan's sessions: one per day or week from the start date (09:00 local), `count` of them. */
export function scheduleOccurrences(plan: Plan): Occurrence[] {
  const schedule = plan.schedule
  if (!schedule) return []
  const [y, m, d] = schedule.startDate.split('-').map(Number)
  const count = schedule.kind === 'once' ? 1 : Math.max(1, Math.min(200, schedule.count))
  const step = schedule.kind === 'weekly' ? 7 : 1
  return Array.from({ length: count }, (_, i) => {
    const start = new Date(y, m - 1, d + i * step, 9, 0)
    const end = new Date(start.getTime() + schedule.durationMinutes * 60_000)
    return {
      id: newId('plan_occ'),
      planId: plan.id,
      scheduledStart: start.toISOString(),
      scheduledEnd: end.toISOString(),
      status: 'scheduled',
    }
  })
}

export function asPlans(docs: Doc[] | undefined): Plan[] {
  return (docs ?? []).filter((doc): doc is Plan => typeof doc.title === 'string')
}

export function asOccurrences(docs: Doc[] | undefined): Occurrence[] {
  return (docs ?? [])
    .filter((doc): doc is Occurrence => typeof doc.planId === 'string' && typeof doc.scheduledStart === 'string')
    .sort((a, b) => a.scheduledStart.localeCompare(b.scheduledStart))
}

/** A plan made from a template: a fresh, private copy. */
export function planFromTemplate(template: Template, startDate: string): Plan {
  return {
    id: newId('plan'),
    title: template.title,
    focusAreas: template.focusAreas ?? [],
    status: 'active',
    sourceTemplateId: template.id,
    ...(template.schedule ? { schedule: { ...template.schedule, startDate } } : {}),
  }
}

export function templateFromPlan(plan: Plan): Template {
  return {
    id: newId('template'),
    title: plan.title,
    focusAreas: plan.focusAreas ?? [],
    visibility: 'private',
    ...(plan.schedule ? { schedule: plan.schedule } : {}),
  }
}
