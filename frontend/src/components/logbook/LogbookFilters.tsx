import { useId, useState, type Ref } from 'react'
import { useI18n } from '../../i18n'
import { FILTER_KEYS, NO_FILTERS, type FilterOptions, type LogbookFilters as Filters } from '../../lib/logbook'
import { Button, Field, Select } from '../../ui'
import { ENTRY_TYPES } from './EntryForm'

/** Search (always there) and the filter panel (behind a toggle on phones and desktops alike). */
export function LogbookFilters({
  filters,
  options,
  onChange,
  searchRef,
  shown,
  total,
}: {
  filters: Filters
  options: FilterOptions
  onChange: (filters: Filters) => void
  searchRef: Ref<HTMLInputElement>
  shown: number
  total: number
}) {
  const { t } = useI18n()
  const id = useId()
  const active = FILTER_KEYS.filter((key) => key !== 'q' && filters[key] !== '').length
  const [open, setOpen] = useState(active > 0)
  const set = (key: keyof Filters, value: string) => onChange({ ...filters, [key]: value })
  const typeLabel = (type: string) => ((ENTRY_TYPES as readonly string[]).includes(type) ? t(`type.${type}` as 'type.practice') : type)
  const choices = (values: string[], label = (v: string) => v) => values.map((value) => ({ value, label: label(value) }))
  // A value in the URL that no entry holds (yet) stays selectable.
  const withCurrent = (values: string[], current: string) => (current && !values.includes(current) ? [current, ...values] : values)

  return (
    <section aria-label={t('logbook.filters')} className="space-y-3">
      <div className="flex flex-wrap items-end gap-2">
        <div className="min-w-0 grow">
          <label htmlFor={`${id}-q`} className="sr-only">
            {t('logbook.search')}
          </label>
          <input
            ref={searchRef}
            id={`${id}-q`}
            type="search"
            className="field mt-0"
            placeholder={t('logbook.searchPlaceholder')}
            aria-keyshortcuts="/"
            value={filters.q}
            onChange={(e) => set('q', e.target.value)}
          />
        </div>
        <Button aria-expanded={open} aria-controls={`${id}-panel`} onClick={() => setOpen(!open)} className="py-2">
          {t('logbook.filters')}
          {active > 0 && <span className="rounded-full bg-accent px-1.5 text-xs text-on-accent">{active}</span>}
        </Button>
      </div>
      <div id={`${id}-panel`} hidden={!open} className="card grid grid-cols-2 gap-3 sm:grid-cols-3">
        <Field label={t('logbook.pieceTitle')} className="col-span-2 sm:col-span-1">
          <Select value={filters.piece} placeholder={t('logbook.any')} options={choices(withCurrent(options.pieces, filters.piece))} onChange={(e) => set('piece', e.target.value)} />
        </Field>
        <Field label={t('logbook.pieceComposer')}>
          <Select value={filters.composer} placeholder={t('logbook.any')} options={choices(withCurrent(options.composers, filters.composer))} onChange={(e) => set('composer', e.target.value)} />
        </Field>
        <Field label={t('logbook.type')}>
          <Select value={filters.type} placeholder={t('logbook.any')} options={choices(withCurrent(options.types, filters.type), typeLabel)} onChange={(e) => set('type', e.target.value)} />
        </Field>
        <Field label={t('logbook.instrument')}>
          <Select value={filters.instrument} placeholder={t('logbook.any')} options={choices(withCurrent(options.instruments, filters.instrument))} onChange={(e) => set('instrument', e.target.value)} />
        </Field>
        <Field label={t('logbook.filterTag')}>
          <Select value={filters.tag} placeholder={t('logbook.any')} options={choices(withCurrent(options.tags, filters.tag))} onChange={(e) => set('tag', e.target.value)} />
        </Field>
        <Field label={t('logbook.filterFrom')}>
          <input type="date" className="field" value={filters.from} max={filters.to || undefined} onChange={(e) => set('from', e.target.value)} />
        </Field>
        <Field label={t('logbook.filterTo')}>
          <input type="date" className="field" value={filters.to} min={filters.from || undefined} onChange={(e) => set('to', e.target.value)} />
        </Field>
      </div>
      {(active > 0 || filters.q) && (
        <p className="flex flex-wrap items-center gap-3 text-sm text-ink-muted">
          <span role="status" data-testid="filter-results">
            {t('logbook.results', { count: shown, total })}
          </span>
          <Button variant="ghost" onClick={() => onChange(NO_FILTERS)}>
            {t('logbook.clearFilters')}
          </Button>
        </p>
      )}
    </section>
  )
}
