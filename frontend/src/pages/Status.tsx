import { useCallback, useEffect, useState } from 'react'
import { errorMessage } from '../config'
import { useConfig } from '../config-context'
import { HealthCard } from '../components/HealthCard'
import { Page } from '../components/Page'
import {
  SERVICE_NAMES,
  fetchHealth,
  healthTarget,
  type ServiceHealth,
  type ServiceName,
} from '../health'

type Results = Partial<Record<ServiceName, ServiceHealth>>

export default function Status() {
  const config = useConfig()
  const [results, setResults] = useState<Results>({})
  const [round, setRound] = useState(0)

  useEffect(() => {
    let cancelled = false
    setResults({})
    for (const name of SERVICE_NAMES) {
      let check: Promise<ServiceHealth>
      try {
        check = fetchHealth(healthTarget(name, config))
      } catch (err) {
        check = Promise.resolve({ status: 'unreachable', url: '', error: errorMessage(err) })
      }
      void check.then((health) => {
        if (!cancelled) setResults((prev) => ({ ...prev, [name]: health }))
      })
    }
    return () => {
      cancelled = true
    }
  }, [config, round])

  const refresh = useCallback(() => setRound((r) => r + 1), [])
  const pending = SERVICE_NAMES.some((name) => results[name] === undefined)

  return (
    <Page title="Status">
      <p className="mt-3 text-sage-700">
        Health of each Mirubato service, checked from your browser. This app is{' '}
        <strong>{config.environment}</strong> v{config.version}.
      </p>
      <button
        type="button"
        onClick={refresh}
        disabled={pending}
        className="mt-4 rounded-md border border-sage-300 bg-white px-3 py-1.5 text-sm font-medium text-sage-800 hover:bg-sage-100 disabled:opacity-50"
      >
        {pending ? 'Checking…' : 'Check again'}
      </button>
      <section aria-label="Services" className="mt-6 grid gap-4 sm:grid-cols-2">
        {SERVICE_NAMES.map((name) => (
          <HealthCard key={name} name={name} health={results[name]} />
        ))}
      </section>
    </Page>
  )
}
