/**
 * Runtime configuration, served by the frontend worker at `/config.json`.
 * Nothing environment-specific is baked into the bundle: the same build runs
 * locally, in staging and in production.
 */
export interface AppConfig {
  apiUrl: string
  scoresUrl: string
  dictionaryUrl: string
  syncUrl: string
  environment: string
  version: string
  /** Google OAuth client id for the sign-in button; `null` when this deployment has none. */
  googleClientId: string | null
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

export const CONFIG_FIELDS = [
  'apiUrl',
  'scoresUrl',
  'dictionaryUrl',
  'syncUrl',
  'environment',
  'version',
] as const satisfies readonly (keyof AppConfig)[]

/** Fields a deployment may leave out or empty. */
const OPTIONAL_FIELDS = ['googleClientId'] as const satisfies readonly (keyof AppConfig)[]

export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

/** Validate an already-decoded `/config.json` body. Throws `ConfigError`. */
export function parseConfig(json: unknown): AppConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError('Invalid /config.json: expected a JSON object')
  }
  const record = json as Record<string, unknown>
  const bad = CONFIG_FIELDS.filter(
    (field) => typeof record[field] !== 'string' || (record[field] as string).trim() === '',
  )
  if (bad.length > 0) {
    throw new ConfigError(
      `Invalid /config.json: missing or empty field${bad.length > 1 ? 's' : ''}: ${bad.join(', ')}`,
    )
  }
  const badOptional = OPTIONAL_FIELDS.filter((field) => record[field] !== undefined && record[field] !== null && typeof record[field] !== 'string')
  if (badOptional.length > 0) {
    throw new ConfigError(`Invalid /config.json: not a string: ${badOptional.join(', ')}`)
  }
  const config = { googleClientId: (record.googleClientId as string | null | undefined)?.trim() || null } as AppConfig
  for (const field of CONFIG_FIELDS) config[field] = record[field] as string
  return config
}

const defaultFetch: FetchLike = (input, init) => fetch(input, init)

/** Fetch and validate `/config.json`. Throws `ConfigError` with a readable message. */
export async function loadConfig(
  fetchImpl: FetchLike = defaultFetch,
  url = '/config.json',
): Promise<AppConfig> {
  let response: Response
  try {
    response = await fetchImpl(url, { cache: 'no-store', headers: { accept: 'application/json' } })
  } catch (err) {
    throw new ConfigError(`Could not fetch ${url}: ${errorMessage(err)}`)
  }
  if (!response.ok) {
    throw new ConfigError(`Could not fetch ${url}: HTTP ${response.status}`)
  }
  let body: unknown
  try {
    body = await response.json()
  } catch {
    throw new ConfigError(`Invalid ${url}: body is not JSON`)
  }
  return parseConfig(body)
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
