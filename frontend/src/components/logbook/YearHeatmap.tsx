import { useEffect, useMemo, useRef } from 'react'
import { useI18n } from '../../i18n'
import { buildHeatmap } from '../../lib/logbook'
import { formatMinutes } from '../../lib/reports'
import { cx } from '../../ui'

export const LEVEL_CLASSES = ['bg-sage-100', 'bg-sage-300', 'bg-sage-400', 'bg-sage-500', 'bg-sage-700']

const CELL = 11
const GAP = 3

function dateOf(day: string): Date {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(y, m - 1, d, 12)
}

/** The last year, a column per week (Monday first), with month and weekday labels and a legend. */
export function YearHeatmap({ totals, today }: { totals: Map<string, number>; today: string }) {
  const { t, language } = useI18n()
  const map = useMemo(() => buildHeatmap(totals, today), [totals, today])
  const scroller = useRef<HTMLDivElement>(null)
  // On a phone only part of the year fits: show the recent end.
  useEffect(() => {
    const element = scroller.current
    if (element) element.scrollLeft = element.scrollWidth
  }, [])

  // Monday 2024-01-01 … : the weekday names in the UI language.
  const weekday = (index: number) => new Date(2024, 0, 1 + index).toLocaleDateString(language, { weekday: 'short' })
  const summary = t('logbook.heatmapSummary', { days: map.practisedDays })
  return (
    <section aria-labelledby="heatmap-title" className="card">
      <h2 id="heatmap-title" className="text-sm font-semibold">
        {t('logbook.heatmap')}
      </h2>
      <div ref={scroller} role="img" aria-label={summary} tabIndex={0} className="mt-3 overflow-x-auto pb-1" data-testid="logbook-heatmap">
        <div
          className="inline-grid text-[10px] leading-none text-ink-muted"
          style={{
            gridTemplateColumns: `auto repeat(${map.weeks.length}, ${CELL}px)`,
            gridTemplateRows: `auto repeat(7, ${CELL}px)`,
            gap: `${GAP}px`,
          }}
        >
          {map.months.map((month) => (
            <span key={month.day} className="pb-1 whitespace-nowrap" style={{ gridColumn: month.column + 2, gridRow: 1 }}>
              {dateOf(month.day).toLocaleDateString(language, { month: 'short' })}
            </span>
          ))}
          {[0, 2, 4].map((index) => (
            <span key={index} className="pr-1 text-right" style={{ gridColumn: 1, gridRow: index + 2 }}>
              {weekday(index)}
            </span>
          ))}
          {map.weeks.flatMap((week, column) =>
            week.map((cell, row) => (
              <span
                key={cell.day}
                data-day={cell.day}
                data-level={cell.future ? undefined : cell.level}
                title={cell.future ? undefined : `${dateOf(cell.day).toLocaleDateString(language, { dateStyle: 'medium' })}: ${formatMinutes(cell.minutes)}`}
                className={cx('rounded-[2px]', cell.future ? 'bg-transparent' : LEVEL_CLASSES[cell.level], cell.day === today && 'ring-2 ring-accent')}
                style={{ gridColumn: column + 2, gridRow: row + 2 }}
              />
            )),
          )}
        </div>
      </div>
      <p className="mt-2 flex items-center gap-1 text-xs text-ink-muted" aria-hidden>
        {t('logbook.less')}
        {LEVEL_CLASSES.map((color) => (
          <span key={color} className={cx('inline-block size-[11px] rounded-[2px]', color)} />
        ))}
        {t('logbook.more')}
      </p>
    </section>
  )
}
