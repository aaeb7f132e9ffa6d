import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { HealthCard } from './HealthCard'

describe('HealthCard', () => {
  it('exposes the test id and overall status, and lists dependencies', () => {
    const html = renderToStaticMarkup(
      <HealthCard
        name="api"
        health={{
          status: 'degraded',
          url: 'http://api/health',
          httpStatus: 503,
          report: {
            service: 'api',
            version: '1.2.3',
            environment: 'staging',
            timestamp: '2025-01-01T00:00:00Z',
            status: 'degraded',
            services: {
              database: { status: 'unhealthy', latency: 3, error: 'timeout' },
              ai: { status: 'not configured' },
            },
          },
        }}
      />,
    )
    expect(html).toContain('data-testid="health-api"')
    expect(html).toContain('data-status="degraded"')
    expect(html).toContain('1.2.3')
    expect(html).toContain('staging')
    expect(html).toMatch(/database:<\/span> <span[^>]*>unhealthy 3 ms \(timeout\)/)
    expect(html).toMatch(/ai:<\/span> <span[^>]*>not configured/)
  })

  it('shows "checking" before a result and the error when unreachable', () => {
    expect(renderToStaticMarkup(<HealthCard name="sync" />)).toContain('data-status="checking"')
    const html = renderToStaticMarkup(
      <HealthCard name="sync" health={{ status: 'unreachable', url: '/health', error: 'fetch failed' }} />,
    )
    expect(html).toContain('data-testid="health-sync"')
    expect(html).toContain('data-status="unreachable"')
    expect(html).toContain('fetch failed')
  })
})
