import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, parseConfig, type FetchLike } from './config'

const GOOD = {
  apiUrl: 'http://localhost:8787',
  scoresUrl: 'http://localhost:8788',
  dictionaryUrl: 'http://localhost:8789',
  syncUrl: 'ws://localhost:8790/sync',
  environment: 'local',
  version: '0.1.0',
}

function respond(body: unknown, status = 200): FetchLike {
  return async () =>
    new Response(typeof body === 'string' ? body : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    })
}

describe('parseConfig', () => {
  it('accepts a complete config and keeps only the known fields', () => {
    expect(parseConfig({ ...GOOD, extra: 1 })).toEqual({ ...GOOD, googleClientId: null })
  })

  it('reads the Google client id; absent, null or blank means no Google button', () => {
    expect(parseConfig({ ...GOOD, googleClientId: ' 123.apps.googleusercontent.com ' }).googleClientId).toBe(
      '123.apps.googleusercontent.com',
    )
    for (const none of [undefined, null, '', '   ']) {
      expect(parseConfig({ ...GOOD, googleClientId: none }).googleClientId).toBeNull()
    }
    expect(() => parseConfig({ ...GOOD, googleClientId: 42 })).toThrow('Invalid /config.json: not a string: googleClientId')
  })

  it('names a missing field', () => {
    const { syncUrl: _, ...rest } = GOOD
    expect(() => parseConfig(rest)).toThrow(ConfigError)
    expect(() => parseConfig(rest)).toThrow(/missing or empty field: syncUrl$/)
  })

  it('names every missing, empty or non-string field', () => {
    expect(() => parseConfig({ ...GOOD, apiUrl: undefined, version: 3, environment: ' ' })).toThrow(
      'Invalid /config.json: missing or empty fields: apiUrl, environment, version',
    )
  })

  it('rejects non-objects', () => {
    for (const bad of [null, 'x', 42, [GOOD]]) {
      expect(() => parseConfig(bad)).toThrow(/expected a JSON object/)
    }
  })
})

describe('loadConfig', () => {
  it('fetches /config.json and returns the validated config', async () => {
    const seen: string[] = []
    const fetchImpl: FetchLike = async (url, init) => {
      seen.push(url)
      return respond(GOOD)(url, init)
    }
    await expect(loadConfig(fetchImpl)).resolves.toEqual({ ...GOOD, googleClientId: null })
    expect(seen).toEqual(['/config.json'])
  })

  it('throws a clear error when a field is missing', async () => {
    const { dictionaryUrl: _, ...rest } = GOOD
    await expect(loadConfig(respond(rest))).rejects.toThrow(
      'Invalid /config.json: missing or empty field: dictionaryUrl',
    )
  })

  it('reports HTTP errors, non-JSON bodies and network failures', async () => {
    await expect(loadConfig(respond('nope', 404))).rejects.toThrow('HTTP 404')
    await expect(loadConfig(respond('<html>'))).rejects.toThrow('body is not JSON')
    const offline: FetchLike = async () => {
      throw new TypeError('Failed to fetch')
    }
    await expect(loadConfig(offline)).rejects.toThrow('Could not fetch /config.json: Failed to fetch')
  })
})
