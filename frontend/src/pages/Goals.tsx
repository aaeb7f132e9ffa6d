import { useState, type FormEvent } from 'react'
import { Page } from '../components/Page'
import { useI18n } from '../i18n'
import { GOAL_TYPES, addProgress, asGoals, goalProgress, type GoalType } from '../lib/goals'
import { newId } from '../lib/ids'
import { asEntries } from '../lib/reports'
import { useDocuments, useSave } from '../services'

export default function Goals() {
  const { t } = useI18n()
  const goals = asGoals(useDocuments('goal'))
  const entries = asEntries(useDocuments('logbook_entry'))
  const { save, remove } = useSave()
  const [title, setTitle] = useState('')
  const [type, setType] = useState<GoalType>('practice_time')
  const [target, setTarget] = useState('60')
  const [targetDate, setTargetDate] = useState('')

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
    })
    setTitle('')
  }

  return (
    <Page title={t('goals.title')}>
      <form onSubmit={create} className="card mt-6 grid gap-3 sm:grid-cols-2" aria-label={t('goals.new')}>
        <label className="label sm:col-span-2">
          {t('goals.name')}
          <input className="field" required maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />
        </label>
        <label className="label">
          {t('goals.type')}
          <select className="field" value={type} onChange={(e) => setType(e.target.value as GoalType)}>
            {GOAL_TYPES.map((g) => (
              <option key={g} value={g}>
                {t(`goalType.${g}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="label">
          {t('goals.target')}
          <input className="field" type="number" min={0} value={target} onChange={(e) => setTarget(e.target.value)} />
        </label>
        <label className="label">
          {t('goals.targetDate')}
          <input className="field" type="date" value={targetDate} onChange={(e) => setTargetDate(e.target.value)} />
        </label>
        <button type="submit" className="btn self-end">
          {t('goals.new')}
        </button>
      </form>
      {goals.length === 0 ? (
        <p className="mt-6 text-sage-700">{t('goals.empty')}</p>
      ) : (
        <ul className="mt-6 space-y-3">
          {goals.map((goal) => {
            const { current, target: goalTarget, fraction } = goalProgress(goal, entries)
            return (
              <li key={goal.id} className="card" data-testid="goal">
                <div className="flex flex-wrap items-baseline gap-2">
                  <h2 className="font-medium">{goal.title}</h2>
                  <span className="text-sm text-sage-700">{t(`goalType.${goal.type}`)}</span>
                  {goal.status === 'completed' && <span className="rounded bg-sage-200 px-2 text-xs">{t('goals.complete')}</span>}
                  {goal.targetDate && <span className="text-sm text-sage-700">· {goal.targetDate.slice(0, 10)}</span>}
                </div>
                <progress className="mt-2 w-full accent-sage-700" max={1} value={fraction} aria-label={goal.title} />
                <p className="text-sm text-sage-700">
                  {t('goals.progress', { current, target: goalTarget ?? '—' })}
                </p>
                <div className="mt-2 flex gap-2">
                  <button type="button" className="btn-quiet" onClick={() => void save('goal', addProgress(goal, 10, entries, new Date()))}>
                    {t('goals.addProgress')} +10
                  </button>
                  <button type="button" className="btn-quiet" onClick={() => void remove('goal', goal.id)}>
                    {t('common.delete')}
                  </button>
                </div>
              </li>
            )
          })}
        </ul>
      )}
    </Page>
  )
}
