import { errorMessage, type AppConfig, type FetchLike } from './config'

/** One dependency of a service, as reported in `services` of `/health`. */
export type DependencyHealth =
  | { status: 'healthy' | 'unhealthy'; latency: number; error?: string }
  | { status: 'configured' | 'not configured' }

/** The body every Mirubato worker returns from `GET /health` (200 or 503). */
export interface HealthReport {
  service: string
  version: string
  environment: string
  timestamp: string
  status: 'healthy' | 'degraded'
  services: Record<string, DependencyHealth>
}

export type OverallStatus = 'healthy' | 'degraded' | 'unreachable'

export interface ServiceHealth {
  status: OverallStatus
  /** URL that was checked. */
  url: string
  httpStatus?: number
  report?: HealthReport
  error?: string
}

export class HealthParseError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'HealthParseError'
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function parseDependency(name: string, value: unknown): DependencyHealth {
  if (!isRecord(value)) throw new HealthParseError(`services.${name} is not an object`)
  const { status } = value
  if (status === 'configured' || status === 'not configured') return { status }
  if (status === 'healthy' || status === 'unhealthy') {
    const { latency, error } = value
    if (typeof latency !== 'number' || !Number.isFinite(latency)) {
      throw new HealthParseError(`services.${name}.latency is not a number`)
    }
    if (error !== undefined && typeof error !== 'string') {
      throw new HealthParseError(`services.${name}.error is not a string`)
    }
    return error === undefined ? { status, latency } : { status, latency, error }
  }
  throw new HealthParseError(`services.${name}.status is invalid: ${JSON.stringify(status)}`)
}

/** Validate a decoded `/health` body. Throws `HealthParseError` if it is malformed. */
export function parseHealth(json: unknown): HealthReport {
  if (!isRecord(json)) throw new HealthParseError('health body is not an object')
  for (const field of ['service', 'version', 'environment', 'timestamp'] as const) {
    if (typeof json[field] !== 'string') throw new HealthParseError(`${field} is not a string`)
  }
  const { status } = json
  if (status !== 'healthy' && status !== 'degraded') {
    throw new HealthParseError(`status is invalid: ${JSON.stringify(status)}`)
  }
  if (!isRecord(json.services)) throw new HealthParseError('services is not an object')
  const services: Record<string, DependencyHealth> = {}
  for (const [name, value] of Object.entries(json.services)) {
    services[name] = parseDependency(name, value)
  }
  return {
    service: json.service as string,
    version: json.version as string,
    environment: json.environment as string,
    timestamp: json.timestamp as string,
    status,
    services,
  }
}

/**
 * HTTP(S) origin of the sync worker, derived from its WebSocket URL:
 * `ws://host:port/path` -> `http://host:port`, `wss://host/path` -> `https://host`.
 */
export function syncHttpBase(syncUrl: string): string {
  let url: URL
  try {
    url = new URL(syncUrl)
  } catch {
    throw new Error(`syncUrl is not a valid URL: ${syncUrl}`)
  }
  const protocol = { 'ws:': 'http:', 'wss:': 'https:', 'http:': 'http:', 'https:': 'https:' }[
    url.protocol
  ]
  if (protocol === undefined) throw new Error(`syncUrl has unsupported scheme: ${url.protocol}`)
  return `${protocol}//${url.host}`
}

/** `description` of one dependency line, e.g. `healthy 3 ms` or `not configured`. */
export function describeDependency(dep: DependencyHealth): string {
  if (!('latency' in dep)) return dep.status
  const text = `${dep.status} ${Math.round(dep.latency)} ms`
  return dep.error ? `${text} (${dep.error})` : text
}

const defaultFetch: FetchLike = (input, init) => fetch(input, init)

/**
 * `GET <base>/health`. Never throws: network failures, timeouts and malformed
 * bodies are reported as `unreachable`; a 503 with a valid body is `degraded`.
 */
export async function fetchHealth(
  base: string,
  fetchImpl: FetchLike = defaultFetch,
  timeoutMs = 8000,
): Promise<ServiceHealth> {
  const url = `${base.replace(/\/+$/, '')}/health`
  let response: Response
  try {
    response = await fetchImpl(url, {
      cache: 'no-store',
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (err) {
    return { status: 'unreachable', url, error: errorMessage(err) }
  }
  const httpStatus = response.status
  let report: HealthReport
  try {
    report = parseHealth(await response.json())
  } catch (err) {
    const detail = err instanceof HealthParseError ? err.message : 'body is not JSON'
    return { status: 'unreachable', url, httpStatus, error: `HTTP ${httpStatus}: ${detail}` }
  }
  // A non-2xx answer is never "healthy", whatever the body claims.
  const status: OverallStatus = response.ok && report.status === 'healthy' ? 'healthy' : 'degraded'
  return { status, url, httpStatus, report }
}

export const SERVICE_NAMES = ['frontend', 'api', 'scores', 'dictionary', 'sync'] as const
export type ServiceName = (typeof SERVICE_NAMES)[number]

/**
 * Base URL to probe for a service (throws if the config entry is unusable).
 * The frontend is checked on its own origin.
 */
export function healthTarget(name: ServiceName, config: AppConfig): string {
  switch (name) {
    case 'frontend':
      return ''
    case 'api':
      return config.apiUrl
    case 'scores':
      return config.scoresUrl
    case 'dictionary':
      return config.dictionaryUrl
    case 'sync':
      return syncHttpBase(config.syncUrl)
  }
}
