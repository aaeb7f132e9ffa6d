import { describeDependency, type OverallStatus, type ServiceHealth } from '../health'

const BADGE: Record<OverallStatus | 'checking', string> = {
  healthy: 'bg-green-100 text-green-900 ring-green-300',
  degraded: 'bg-amber-100 text-amber-900 ring-amber-300',
  unreachable: 'bg-red-100 text-red-900 ring-red-300',
  checking: 'bg-sage-100 text-sage-800 ring-sage-300',
}

/** One service on the status page. `health` is undefined while the check is running. */
export function HealthCard({ name, health }: { name: string; health?: ServiceHealth }) {
  const status = health?.status ?? 'checking'
  const report = health?.report
  const headingId = `health-${name}-title`
  return (
    <article
      data-testid={`health-${name}`}
      data-status={status}
      aria-labelledby={headingId}
      aria-busy={status === 'checking'}
      className="rounded-lg border border-sage-200 bg-white p-4 shadow-sm"
    >
      <div className="flex items-center justify-between gap-2">
        <h2 id={headingId} className="text-base font-semibold text-sage-900">
          {name}
        </h2>
        <span className={`rounded-full px-2 py-0.5 text-xs font-medium ring-1 ${BADGE[status]}`}>
          {status}
        </span>
      </div>
      {health && (
        <p className="mt-1 truncate text-xs text-sage-600" title={health.url}>
          {health.url}
        </p>
      )}
      {report && (
        <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
          <dt className="text-sage-600">Version</dt>
          <dd className="text-sage-900">{report.version}</dd>
          <dt className="text-sage-600">Environment</dt>
          <dd className="text-sage-900">{report.environment}</dd>
        </dl>
      )}
      {report && Object.keys(report.services).length > 0 && (
        <ul className="mt-3 space-y-1 border-t border-sage-100 pt-3 text-sm">
          {Object.entries(report.services).map(([dep, value]) => (
            <li key={dep} data-dependency={dep} data-status={value.status}>
              <span className="font-medium text-sage-800">{dep}:</span>{' '}
              <span className="text-sage-700">{describeDependency(value)}</span>
            </li>
          ))}
        </ul>
      )}
      {health?.error && <p className="mt-3 text-sm break-words text-red-800">{health.error}</p>}
    </article>
  )
}
