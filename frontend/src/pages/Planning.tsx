import { useState, type FormEvent } from 'react'
import { Page } from '../components/Page'
import { useI18n } from '../i18n'
import { newId } from '../lib/ids'
import {
  asOccurrences,
  asPlans,
  planFromTemplate,
  scheduleOccurrences,
  templateFromPlan,
  type Plan,
  type Repeat,
  type Template,
} from '../lib/planning'
import { localDay } from '../lib/reports'
import { useDocuments, useSave } from '../services'

export default function Planning() {
  const { t } = useI18n()
  const plans = asPlans(useDocuments('practice_plan'))
  const occurrences = asOccurrences(useDocuments('plan_occurrence'))
  const templates = (useDocuments('plan_template') ?? []) as Template[]
  const { save, remove } = useSave()
  const [title, setTitle] = useState('')
  const [focus, setFocus] = useState('')
  const [startDate, setStartDate] = useState(() => localDay(new Date()))
  const [repeat, setRepeat] = useState<Repeat>('weekly')
  const [count, setCount] = useState('4')

  async function createPlan(plan: Plan) {
    await save('practice_plan', plan)
    for (const occurrence of scheduleOccurrences(plan)) await save('plan_occurrence', occurrence)
  }

  async function submit(event: FormEvent) {
    event.preventDefault()
    await createPlan({
      id: newId('plan'),
      title: title.trim(),
      focusAreas: focus.split(',').map((s) => s.trim()).filter(Boolean),
      status: 'active',
      schedule: { kind: repeat, startDate, count: Number(count) || 1, durationMinutes: 30 },
    })
    setTitle('')
    setFocus('')
  }

  return (
    <Page title={t('planning.title')}>
      <form onSubmit={submit} className="card mt-6 grid gap-3 sm:grid-cols-2" aria-label={t('planning.newPlan')}>
        <label className="label">
          {t('planning.planTitle')}
          <input className="field" required value={title} onChange={(e) => setTitle(e.target.value)} />
        </label>
        <label className="label">
          {t('planning.focus')}
          <input className="field" value={focus} onChange={(e) => setFocus(e.target.value)} />
        </label>
        <label className="label">
          {t('planning.startDate')}
          <input className="field" type="date" required value={startDate} onChange={(e) => setStartDate(e.target.value)} />
        </label>
        <label className="label">
          {t('planning.repeat')}
          <select className="field" value={repeat} onChange={(e) => setRepeat(e.target.value as Repeat)}>
            <option value="once">{t('planning.once')}</option>
            <option value="daily">{t('planning.daily')}</option>
            <option value="weekly">{t('planning.weekly')}</option>
          </select>
        </label>
        <label className="label">
          {t('planning.count')}
          <input className="field" type="number" min={1} max={200} value={count} onChange={(e) => setCount(e.target.value)} />
        </label>
        <button type="submit" className="btn self-end">
          {t('planning.newPlan')}
        </button>
      </form>

      {plans.length === 0 && <p className="mt-6 text-sage-700">{t('planning.empty')}</p>}
      {plans.map((plan) => (
        <section key={plan.id} className="card mt-6" aria-label={plan.title} data-testid="plan">
          <div className="flex flex-wrap items-center gap-2">
            <h2 className="font-semibold">{plan.title}</h2>
            {(plan.focusAreas ?? []).map((f) => (
              <span key={f} className="rounded bg-sage-100 px-2 text-xs">
                {f}
              </span>
            ))}
            <span className="ml-auto flex gap-2">
              <button type="button" className="btn-quiet" onClick={() => void save('plan_template', templateFromPlan(plan))}>
                {t('planning.saveTemplate')}
              </button>
              <button type="button" className="btn-quiet" onClick={() => void remove('practice_plan', plan.id)}>
                {t('common.delete')}
              </button>
            </span>
          </div>
          <h3 className="mt-3 text-sm font-semibold text-sage-700">{t('planning.upcoming')}</h3>
          <ul className="mt-1 space-y-1 text-sm">
            {occurrences
              .filter((o) => o.planId === plan.id)
              .map((o) => (
                <li key={o.id} className="flex items-center justify-between gap-2" data-testid="occurrence" data-status={o.status}>
                  <time dateTime={o.scheduledStart}>{new Date(o.scheduledStart).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' })}</time>
                  {o.status === 'completed' ? (
                    <span className="text-sage-700">✓ {t('planning.done')}</span>
                  ) : (
                    <button
                      type="button"
                      className="btn-quiet"
                      onClick={() => void save('plan_occurrence', { ...o, status: 'completed', checkIn: { at: new Date().toISOString() } })}
                    >
                      {t('planning.checkIn')}
                    </button>
                  )}
                </li>
              ))}
          </ul>
        </section>
      ))}

      {templates.length > 0 && (
        <section className="mt-8" aria-labelledby="templates-title">
          <h2 id="templates-title" className="text-lg font-semibold">
            {t('planning.templates')}
          </h2>
          <ul className="mt-2 space-y-2">
            {templates.map((template) => (
              <li key={template.id} className="card flex items-center justify-between gap-2">
                <span>{template.title}</span>
                <button
                  type="button"
                  className="btn-quiet"
                  onClick={() => void createPlan(planFromTemplate(template, localDay(new Date())))}
                >
                  {t('planning.useTemplate')}
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </Page>
  )
}
