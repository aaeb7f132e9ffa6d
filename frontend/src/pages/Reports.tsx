import type { ChartConfiguration } from 'chart.js'
import { ChartCanvas, PALETTE } from '../components/ChartCanvas'
import { Page } from '../components/Page'
import { useI18n } from '../i18n'
import {
  asEntries,
  dailyTotals,
  distribution,
  entriesToCsv,
  formatMinutes,
  heatLevel,
  lastDays,
  localDay,
  pieceLabel,
  streaks,
} from '../lib/reports'
import { useDocuments } from '../services'

const HEAT = ['bg-sage-100', 'bg-sage-300', 'bg-sage-400', 'bg-sage-600', 'bg-sage-800']
const HEATMAP_WEEKS = 18

function Stat({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="card">
      <p className="text-sm text-sage-700">{label}</p>
      <p className="mt-1 text-2xl font-semibold" data-testid={testId}>
        {value}
      </p>
    </div>
  )
}

function download(name: string, type: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const link = document.createElement('a')
  link.href = url
  link.download = name
  link.click()
  URL.revokeObjectURL(url)
}

export default function Reports() {
  const { t } = useI18n()
  const entries = asEntries(useDocuments('logbook_entry'))
  const today = localDay(new Date())
  const totals = dailyTotals(entries)
  const { current, longest } = streaks(totals, today)
  const total = entries.reduce((sum, e) => sum + e.duration, 0)
  // Whole weeks, ending with the current one, so columns are weeks and rows weekdays.
  const heatDays = lastDays(totals, today, HEATMAP_WEEKS * 7 - (6 - new Date().getDay()))
  const trend = lastDays(totals, today, 30)
  const byInstrument = distribution(entries, (e) => [e.instrument])
  const byType = distribution(entries, (e) => [t(`type.${e.type}` as 'type.practice')])
  const topPieces = distribution(entries, (e) => (e.pieces ?? []).map(pieceLabel)).slice(0, 8)

  const trendConfig: ChartConfiguration = {
    type: 'bar',
    data: {
      labels: trend.map((d) => d.day.slice(5)),
      datasets: [{ label: t('reports.trend'), data: trend.map((d) => d.minutes), backgroundColor: PALETTE[0] }],
    },
    options: { plugins: { legend: { display: false } } },
  }
  const doughnut = (rows: [string, number][]): ChartConfiguration => ({
    type: 'doughnut',
    data: {
      labels: rows.map(([k]) => k),
      datasets: [{ data: rows.map(([, v]) => v), backgroundColor: PALETTE }],
    },
  })
  const instrumentConfig = doughnut(byInstrument)
  const typeConfig = doughnut(byType)

  return (
    <Page title={t('reports.title')}>
      <div className="mt-4 flex justify-end">
        <button
          type="button"
          className="btn-quiet"
          onClick={() => download(`mirubato-logbook-${today}.csv`, 'text/csv', entriesToCsv(entries))}
        >
          {t('reports.exportCsv')}
        </button>
      </div>
      <div className="mt-4 grid grid-cols-2 gap-3 md:grid-cols-4">
        <Stat label={t('reports.total')} value={formatMinutes(total)} testId="report-total" />
        <Stat label={t('reports.sessions')} value={String(entries.length)} testId="report-sessions" />
        <Stat label={t('reports.currentStreak')} value={String(current)} testId="report-streak" />
        <Stat label={t('reports.longestStreak')} value={String(longest)} testId="report-longest" />
      </div>

      <section className="card mt-6" aria-labelledby="heatmap-title">
        <h2 id="heatmap-title" className="font-semibold">
          {t('reports.heatmap')}
        </h2>
        <div className="mt-3 overflow-x-auto">
          <ol className="grid w-max grid-flow-col grid-rows-7 gap-1" data-testid="heatmap">
            {heatDays.map(({ day, minutes }) => (
              <li
                key={day}
                className={`h-3 w-3 rounded-sm ${HEAT[heatLevel(minutes)]}`}
                title={t('reports.heatmapDay', { date: day, minutes })}
                aria-label={t('reports.heatmapDay', { date: day, minutes })}
                data-day={day}
                data-level={heatLevel(minutes)}
              />
            ))}
          </ol>
        </div>
      </section>

      <section className="card mt-6" aria-labelledby="trend-title">
        <h2 id="trend-title" className="font-semibold">
          {t('reports.trend')}
        </h2>
        <ChartCanvas config={trendConfig} label={t('reports.trend')} />
      </section>

      <div className="mt-6 grid gap-6 md:grid-cols-2">
        {(
          [
            ['reports.byInstrument', byInstrument, instrumentConfig],
            ['reports.byType', byType, typeConfig],
          ] as const
        ).map(([title, rows, config]) => (
          <section key={title} className="card" aria-label={t(title)}>
            <h2 className="font-semibold">{t(title)}</h2>
            {rows.length > 0 && <ChartCanvas config={config} label={t(title)} height={180} />}
            <table className="mt-3 w-full text-sm">
              <tbody>
                {rows.map(([key, minutes]) => (
                  <tr key={key}>
                    <th scope="row" className="py-0.5 text-left font-normal">
                      {key}
                    </th>
                    <td className="text-right tabular-nums">{formatMinutes(minutes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ))}
      </div>

      <section className="card mt-6" aria-labelledby="pieces-title">
        <h2 id="pieces-title" className="font-semibold">
          {t('reports.topPieces')}
        </h2>
        {topPieces.length === 0 ? (
          <p className="mt-2 text-sage-700">{t('common.none')}</p>
        ) : (
          <ol className="mt-2 space-y-1 text-sm" data-testid="top-pieces">
            {topPieces.map(([piece, minutes]) => (
              <li key={piece} className="flex justify-between gap-2">
                <span>{piece}</span>
                <span className="tabular-nums">{formatMinutes(minutes)}</span>
              </li>
            ))}
          </ol>
        )}
      </section>
    </Page>
  )
}
