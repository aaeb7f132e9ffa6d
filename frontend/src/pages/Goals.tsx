import { useEffect, useMemo, useState, type FormEvent } from 'react'
import { Page } from '../components/Page'
import { useI18n } from '../i18n'
import {
  GOAL_STATUSES,
  GOAL_TYPES,
  addMilestone,
  addProgress,
  asGoals,
  daysLeft,
  goalCounts,
  goalProgress,
  milestoneCount,
  removeMilestone,
  toggleMilestone,
  type Goal,
  type GoalStatus,
  type GoalType,
} from '../lib/goals'
import { newId } from '../lib/ids'
import { asEntries, type Entry } from '../lib/reports'
import { useDocuments, useSave } from '../services'
import { Badge, Button, Card, Dialog, EmptyState, Field, Select, Tabs, Tile, type Tone } from '../ui'

const STATUS_TONE: Record<GoalStatus, Tone> = { active: 'green', completed: 'violet', abandoned: 'neutral' }

function Due({ targetDate, done }: { targetDate: string; done: boolean }) {
  const { t, language } = useI18n()
  const days = daysLeft(targetDate, new Date())
  const date = /^\d{4}-\d{2}-\d{2}$/.test(targetDate) ? new Date(`${targetDate}T12:00:00`) : new Date(targetDate)
  const shown = Number.isNaN(date.getTime()) ? targetDate : date.toLocaleDateString(language, { year: 'numeric', month: 'short', day: 'numeric' })
  let left: string | null = null
  let tone: Tone = 'neutral'
  if (!done && days !== null) {
    left = days > 0 ? t('goals.daysLeft', { days }) : days === 0 ? t('goals.dueToday') : t('goals.overdue', { days: -days })
    tone = days < 0 ? 'rose' : days <= 7 ? 'amber' : 'neutral'
  }
  return (
    <span className="flex flex-wrap items-center gap-2">
      <span>{t('goals.due', { date: shown })}</span>
      {left && <Badge tone={tone}>{left}</Badge>}
    </span>
  )
}

function GoalCard({ goal: stored, entries, onSave: save, onDelete }: { goal: Goal; entries: Entry[]; onSave: (goal: Goal) => void; onDelete: () => void }) {
  const { t, language } = useI18n()
  const [milestone, setMilestone] = useState('')
  // A change shows at once (a checkbox stays checked) until the store's copy catches up.
  const [optimistic, setOptimistic] = useState<Goal | null>(null)
  useEffect(() => setOptimistic(null), [stored])
  const goal = optimistic ?? stored
  const onSave = (next: Goal) => {
    setOptimistic(next)
    save(next)
  }
  const status: GoalStatus = goal.status ?? 'active'
  const { current, target, fraction } = goalProgress(goal, entries)
  const steps = milestoneCount(goal)
  const linked = entries.filter((e) => e.goalIds?.includes(goal.id)).length
  // Without a numeric target, the milestones measure the progress.
  const byMilestones = target === null && steps.total > 0
  const percent = Math.round((byMilestones ? steps.done / steps.total : fraction) * 100)

  function addStep(event: FormEvent) {
    event.preventDefault()
    if (!milestone.trim()) return
    onSave(addMilestone(goal, newId('milestone'), milestone))
    setMilestone('')
  }

  return (
    <Card as="li" className="space-y-3" data-testid="goal" data-status={status}>
      <div className="flex flex-wrap items-start gap-x-3 gap-y-1">
        <h2 className="font-title min-w-[12rem] flex-1 text-xl text-ink">{goal.title}</h2>
        <Badge tone={STATUS_TONE[status]}>{t(`goals.status.${status}`)}</Badge>
      </div>
      <p className="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm text-ink-muted">
        <span>{t(`goalType.${goal.type}`)}</span>
        {goal.targetDate && <Due targetDate={goal.targetDate} done={status !== 'active'} />}
        {linked > 0 && <span>{t('goals.linked', { count: linked })}</span>}
      </p>
      {/* A goal with neither a numeric target nor milestones has nothing to measure yet. */}
      {(target !== null || steps.total > 0 || status === 'completed') && (
        <div>
          <div className="flex items-baseline justify-between text-sm">
            <span className="text-ink">
              {byMilestones ? t('goals.milestonesDone', { done: steps.done, total: steps.total }) : t('goals.progress', { current, target: target ?? '—' })}
            </span>
            <span className="text-ink-muted tabular-nums">{percent}%</span>
          </div>
          <div
            role="progressbar"
            aria-label={goal.title}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={percent}
            className="mt-1 h-2 overflow-hidden rounded-full bg-surface-muted"
          >
            <div className="h-full rounded-full bg-accent transition-[width]" style={{ width: `${percent}%` }} />
          </div>
        </div>
      )}

      <section aria-label={t('goals.milestones')} className="space-y-2">
        <h3 className="text-sm font-semibold text-ink">
          {t('goals.milestones')} {steps.total > 0 && <span className="font-normal text-ink-muted">({t('goals.milestonesDone', { done: steps.done, total: steps.total })})</span>}
        </h3>
        {(goal.milestones ?? []).length > 0 && (
          <ul className="space-y-1">
            {(goal.milestones ?? []).map((m) => (
              <li key={m.id} className="flex items-center gap-2 text-sm" data-testid="milestone">
                <label className="flex flex-1 items-center gap-2">
                  <input type="checkbox" className="size-4 accent-sage-700" checked={m.completed} onChange={() => onSave(toggleMilestone(goal, m.id, new Date()))} />
                  <span className={m.completed ? 'text-ink-muted line-through' : 'text-ink'}>{m.title}</span>
                </label>
                {m.completed && m.completedAt && (
                  <span className="text-xs text-ink-muted">
                    {t('goals.doneOn', { date: new Date(m.completedAt).toLocaleDateString(language, { month: 'short', day: 'numeric' }) })}
                  </span>
                )}
                <Button variant="ghost" className="px-2 py-0.5 text-xs" aria-label={t('goals.removeMilestone', { title: m.title })} onClick={() => onSave(removeMilestone(goal, m.id))}>
                  <span aria-hidden>×</span>
                </Button>
              </li>
            ))}
          </ul>
        )}
        {status === 'active' && (
          <form onSubmit={addStep} className="flex gap-2" aria-label={t('goals.addMilestone')}>
            <label className="sr-only" htmlFor={`${goal.id}-milestone`}>
              {t('goals.milestoneTitle')}
            </label>
            <input id={`${goal.id}-milestone`} className="field mt-0 flex-1 py-1 text-sm" maxLength={200} placeholder={t('goals.milestoneTitle')} value={milestone} onChange={(e) => setMilestone(e.target.value)} />
            <Button type="submit">{t('goals.addMilestone')}</Button>
          </form>
        )}
      </section>

      <div className="flex flex-wrap gap-2 border-t border-line pt-3">
        {status === 'active' && (
          <>
            <Button onClick={() => onSave(addProgress(goal, 10, entries, new Date()))}>{t('goals.addProgress')} +10</Button>
            <Button onClick={() => onSave({ ...goal, status: 'completed' })}>{t('goals.markDone')}</Button>
            <Button variant="ghost" onClick={() => onSave({ ...goal, status: 'abandoned' })}>
              {t('goals.abandon')}
            </Button>
          </>
        )}
        {status !== 'active' && <Button onClick={() => onSave({ ...goal, status: 'active' })}>{t('goals.reopen')}</Button>}
        <Button variant="danger" className="ml-auto" onClick={onDelete}>
          {t('common.delete')}
        </Button>
      </div>
    </Card>
  )
}

export default function Goals() {
  const { t } = useI18n()
  const docs = useDocuments('goal')
  const goals = useMemo(() => asGoals(docs), [docs])
  const entryDocs = useDocuments('logbook_entry')
  const entries = useMemo(() => asEntries(entryDocs), [entryDocs])
  const { save, remove } = useSave()
  const [creating, setCreating] = useState(false)
  const [tab, setTab] = useState<GoalStatus | 'all'>('all')
  const [title, setTitle] = useState('')
  const [type, setType] = useState<GoalType>('practice_time')
  const [target, setTarget] = useState('60')
  const [targetDate, setTargetDate] = useState('')
  const counts = goalCounts(goals)
  const shown = goals
    .filter((goal) => tab === 'all' || (goal.status ?? 'active') === tab)
    .sort((a, b) => (a.targetDate ?? '9999').localeCompare(b.targetDate ?? '9999') || a.title.localeCompare(b.title))

  async function create(event: FormEvent) {
    event.preventDefault()
    await save('goal', {
      id: newId('goal'),
      title: title.trim(),
      type,
      targetValue: target ? Number(target) : null,
      currentValue: 0,
      targetDate: targetDate || null,
      status: 'active',
      milestones: [],
    })
    setTitle('')
    setTargetDate('')
    setCreating(false)
  }

  const newButton = (
    <Button variant="primary" onClick={() => setCreating(true)}>
      <span aria-hidden>+</span> {t('goals.new')}
    </Button>
  )

  return (
    <Page title={t('goals.title')} actions={newButton}>
      <div className="mt-6 grid grid-cols-3 gap-2 sm:gap-4">
        <Tile label={t('goals.status.active')} value={counts.active} tone="green" testId="tile-goals-active" />
        <Tile label={t('goals.status.completed')} value={counts.completed} tone="violet" testId="tile-goals-completed" />
        <Tile label={t('goals.status.abandoned')} value={counts.abandoned} tone="neutral" testId="tile-goals-abandoned" />
      </div>
      <div className="mt-6">
        {docs === undefined ? null : goals.length === 0 ? (
          <EmptyState title={t('goals.emptyTitle')} action={newButton}>
            {t('goals.empty')}
          </EmptyState>
        ) : (
          <Tabs
            label={t('goals.title')}
            value={tab}
            onChange={(id) => setTab(id as GoalStatus | 'all')}
            items={[{ id: 'all', label: `${t('goals.all')} (${goals.length})` }, ...GOAL_STATUSES.map((s) => ({ id: s, label: `${t(`goals.status.${s}`)} (${counts[s]})` }))]}
          >
            {shown.length === 0 ? (
              <p className="text-ink-muted">{t('goals.noneHere')}</p>
            ) : (
              <ul className="space-y-3">
                {shown.map((goal) => (
                  <GoalCard key={goal.id} goal={goal} entries={entries} onSave={(next) => void save('goal', next)} onDelete={() => void remove('goal', goal.id)} />
                ))}
              </ul>
            )}
          </Tabs>
        )}
      </div>

      <Dialog open={creating} onClose={() => setCreating(false)} title={t('goals.new')} variant="sheet" closeLabel={t('common.close')}>
        <form onSubmit={create} className="mt-4 space-y-3" aria-label={t('goals.new')}>
          <Field label={t('goals.name')}>
            <input className="field" required maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />
          </Field>
          <Field label={t('goals.type')}>
            <Select value={type} onChange={(e) => setType(e.target.value as GoalType)} options={GOAL_TYPES.map((g) => ({ value: g, label: t(`goalType.${g}`) }))} />
          </Field>
          <Field label={t('goals.target')}>
            <input className="field" type="number" min={0} value={target} onChange={(e) => setTarget(e.target.value)} />
          </Field>
          <Field label={t('goals.targetDate')}>
            <input className="field" type="date" value={targetDate} onChange={(e) => setTargetDate(e.target.value)} />
          </Field>
          <div className="flex justify-end gap-2">
            <Button onClick={() => setCreating(false)}>{t('common.cancel')}</Button>
            <Button type="submit" variant="primary">
              {t('goals.new')}
            </Button>
          </div>
        </form>
      </Dialog>
    </Page>
  )
}
