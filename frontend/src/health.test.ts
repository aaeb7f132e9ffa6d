import { describe, expect, it } from 'vitest'
import type { AppConfig, FetchLike } from './config'
import {
  HealthParseError,
  describeDependency,
  fetchHealth,
  healthTarget,
  parseHealth,
  syncHttpBase,
} from './health'

const HEALTHY = {
  service: 'api',
  version: '1.2.3',
  environment: 'local',
  timestamp: '2025-01-01T00:00:00Z',
  status: 'healthy',
  services: {
    database: { status: 'healthy', latency: 3 },
    ai: { status: 'not configured' },
    email: { status: 'configured' },
  },
}

const DEGRADED = {
  ...HEALTHY,
  status: 'degraded',
  services: {
    database: { status: 'unhealthy', latency: 5001, error: 'timeout' },
    ai: { status: 'configured' },
  },
}

function respond(body: unknown, status = 200): FetchLike {
  return async () => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status })
}

describe('parseHealth', () => {
  it('parses a healthy report', () => {
    expect(parseHealth(HEALTHY)).toEqual(HEALTHY)
  })

  it('parses a degraded report with an unhealthy dependency', () => {
    const report = parseHealth(DEGRADED)
    expect(report.status).toBe('degraded')
    expect(report.services.database).toEqual({ status: 'unhealthy', latency: 5001, error: 'timeout' })
  })

  it('rejects malformed bodies', () => {
    const cases: [unknown, RegExp][] = [
      [null, /not an object/],
      [[], /not an object/],
      [{ ...HEALTHY, version: 1 }, /version is not a string/],
      [{ ...HEALTHY, status: 'ok' }, /status is invalid/],
      [{ ...HEALTHY, services: undefined }, /services is not an object/],
      [{ ...HEALTHY, services: { db: 'healthy' } }, /services\.db is not an object/],
      [{ ...HEALTHY, services: { db: { status: 'healthy' } } }, /services\.db\.latency/],
      [{ ...HEALTHY, services: { db: { status: 'up', latency: 1 } } }, /services\.db\.status/],
    ]
    for (const [body, message] of cases) {
      expect(() => parseHealth(body)).toThrow(HealthParseError)
      expect(() => parseHealth(body)).toThrow(message)
    }
  })
})

describe('describeDependency', () => {
  it('formats latency and configuration entries', () => {
    expect(describeDependency({ status: 'healthy', latency: 3 })).toBe('healthy 3 ms')
    expect(describeDependency({ status: 'not configured' })).toBe('not configured')
    expect(describeDependency({ status: 'unhealthy', latency: 12.6, error: 'down' })).toBe(
      'unhealthy 13 ms (down)',
    )
  })
})

describe('syncHttpBase', () => {
  it('maps ws:// to http:// and drops the path', () => {
    expect(syncHttpBase('ws://localhost:8790/sync/ws')).toBe('http://localhost:8790')
  })

  it('maps wss:// to https://', () => {
    expect(syncHttpBase('wss://sync.mirubato.com/ws?x=1')).toBe('https://sync.mirubato.com')
  })

  it('rejects unusable URLs', () => {
    expect(() => syncHttpBase('not a url')).toThrow(/not a valid URL/)
    expect(() => syncHttpBase('ftp://example.com')).toThrow(/unsupported scheme/)
  })
})

describe('fetchHealth', () => {
  it('reports healthy on 200 with a healthy body, fetching <base>/health', async () => {
    const urls: string[] = []
    const fetchImpl: FetchLike = async (url, init) => {
      urls.push(url)
      return respond(HEALTHY)(url, init)
    }
    const result = await fetchHealth('http://localhost:8787/', fetchImpl)
    expect(urls).toEqual(['http://localhost:8787/health'])
    expect(result.status).toBe('healthy')
    expect(result.report?.version).toBe('1.2.3')
  })

  it('reports degraded on a 503 that carries a health body', async () => {
    const result = await fetchHealth('http://api', respond(DEGRADED, 503))
    expect(result.status).toBe('degraded')
    expect(result.httpStatus).toBe(503)
    expect(result.report?.services.database).toMatchObject({ status: 'unhealthy', error: 'timeout' })
  })

  it('never reports healthy for a non-2xx response', async () => {
    const result = await fetchHealth('http://api', respond(HEALTHY, 503))
    expect(result.status).toBe('degraded')
  })

  it('reports unreachable on a network error', async () => {
    const fetchImpl: FetchLike = async () => {
      throw new TypeError('fetch failed')
    }
    const result = await fetchHealth('http://api', fetchImpl)
    expect(result).toEqual({ status: 'unreachable', url: 'http://api/health', error: 'fetch failed' })
  })

  it('reports unreachable on a non-JSON or malformed body', async () => {
    const html = await fetchHealth('http://api', respond('<h1>Bad gateway</h1>', 502))
    expect(html).toMatchObject({ status: 'unreachable', httpStatus: 502 })
    expect(html.error).toMatch(/HTTP 502: body is not JSON/)
    const bad = await fetchHealth('http://api', respond({ status: 'ok' }))
    expect(bad.status).toBe('unreachable')
    expect(bad.error).toMatch(/service is not a string/)
  })

  it('checks the frontend on its own origin', async () => {
    const urls: string[] = []
    await fetchHealth('', async (url) => {
      urls.push(url)
      return new Response(JSON.stringify(HEALTHY))
    })
    expect(urls).toEqual(['/health'])
  })
})

describe('healthTarget', () => {
  const config: AppConfig = {
    apiUrl: 'https://api.example',
    scoresUrl: 'https://scores.example',
    dictionaryUrl: 'https://dictionary.example',
    syncUrl: 'wss://sync.example/ws',
    environment: 'production',
    version: '1.0.0',
    googleClientId: null,
  }
  it('uses config URLs and the derived sync base', () => {
    expect(healthTarget('frontend', config)).toBe('')
    expect(healthTarget('api', config)).toBe('https://api.example')
    expect(healthTarget('dictionary', config)).toBe('https://dictionary.example')
    expect(healthTarget('sync', config)).toBe('https://sync.example')
  })
})
