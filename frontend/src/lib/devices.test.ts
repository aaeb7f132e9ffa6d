import { describe, expect, it } from 'vitest'
import { ApiClient, type Tokens } from './api'
import { endSession, formatDate, listSessions, orderSessions, parseInstant, relativeTime } from './devices'

const now = new Date('2026-12-03T10:00:00Z')
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000)

describe('relativeTime', () => {
  it('picks the largest unit that fits, rounding down', () => {
    expect(relativeTime(ago(5), now, 'en')).toBe('now')
    expect(relativeTime(ago(59), now, 'en')).toBe('now')
    expect(relativeTime(ago(60), now, 'en')).toBe('1 minute ago')
    expect(relativeTime(ago(5 * 60 + 59), now, 'en')).toBe('5 minutes ago')
    expect(relativeTime(ago(3 * 3600), now, 'en')).toBe('3 hours ago')
    expect(relativeTime(ago(86_400), now, 'en')).toBe('yesterday')
    expect(relativeTime(ago(3 * 86_400), now, 'en')).toBe('3 days ago')
    expect(relativeTime(ago(15 * 86_400), now, 'en')).toBe('2 weeks ago')
    expect(relativeTime(ago(65 * 86_400), now, 'en')).toBe('2 months ago')
    expect(relativeTime(ago(800 * 86_400), now, 'en')).toBe('2 years ago')
  })

  it('says "now" for a time a little ahead of this clock', () => {
    expect(relativeTime(ago(-30), now, 'en')).toBe('now')
  })

  it('speaks the UI language', () => {
    expect(relativeTime(ago(5 * 60), now, 'de')).toBe('vor 5 Minuten')
    expect(relativeTime(ago(86_400), now, 'fr')).toBe('hier')
    expect(relativeTime(ago(2 * 3600), now, 'es')).toBe('hace 2 horas')
    expect(relativeTime(ago(3 * 86_400), now, 'zh-CN')).toBe('3天前')
    expect(relativeTime(ago(3 * 86_400), now, 'zh-TW')).toBe('3 天前')
  })

  it('formats dates in the UI language', () => {
    expect(formatDate(now, 'en')).toBe('Dec 3, 2026')
    expect(formatDate(now, 'de')).toBe('03.12.2026')
    expect(formatDate(now, 'zh-CN')).toBe('2026年12月3日')
  })
})

describe('parseInstant', () => {
  it('reads ISO strings, milliseconds and seconds, and refuses the rest', () => {
    expect(parseInstant('2026-12-03T10:00:00Z')).toEqual(now)
    expect(parseInstant(now.getTime())).toEqual(now)
    expect(parseInstant(now.getTime() / 1000)).toEqual(now)
    expect(parseInstant(String(now.getTime()))).toEqual(now)
    expect(parseInstant('yesterday')).toBeNull()
    expect(parseInstant('')).toBeNull()
    expect(parseInstant(null)).toBeNull()
  })
})

function client(handler: (url: string, init?: RequestInit) => Response) {
  let tokens: Tokens | null = { accessToken: 'a', refreshToken: 'r' }
  const calls: string[] = []
  const api = new ApiClient(
    'https://api.test',
    { tokens: () => tokens, setTokens: (t) => void (tokens = t), expire: () => void (tokens = null) },
    async (url, init) => {
      calls.push(`${init?.method ?? 'GET'} ${url.replace('https://api.test', '')}`)
      return handler(url, init)
    },
  )
  return { api, calls }
}

describe('sessions API', () => {
  it('lists this device first, then the others newest first, with parsed times', async () => {
    const { api } = client(() =>
      Response.json({
        sessions: [
          { id: 's3', current: false, device: 'Firefox on Android', createdAt: '2026-12-03T09:00:00Z', lastUsedAt: '2026-12-03T09:55:00Z' },
          { id: 's2', current: true, device: ' Chrome on Linux ', createdAt: 1_796_200_000, lastUsedAt: null },
          { id: 's1', current: false, device: null, createdAt: '2026-11-01T09:00:00Z', lastUsedAt: '2026-11-02T09:00:00Z' },
        ],
      }),
    )
    const sessions = await listSessions(api)
    expect(sessions.map((s) => [s.id, s.current, s.device])).toEqual([
      ['s2', true, 'Chrome on Linux'],
      ['s3', false, 'Firefox on Android'],
      ['s1', false, ''],
    ])
    expect(sessions[0].createdAt).toEqual(new Date(1_796_200_000_000))
    expect(sessions[0].lastUsedAt).toBeNull()
    expect(sessions[1].lastUsedAt).toEqual(new Date('2026-12-03T09:55:00Z'))
  })

  it('keeps the order when no session is marked current', () => {
    const s = (id: string) => ({ id, current: false, device: '', createdAt: null, lastUsedAt: null })
    expect(orderSessions([s('a'), s('b')]).map((x) => x.id)).toEqual(['a', 'b'])
  })

  it('deletes a session by id; an unknown one (404) counts as signed out; other errors are reported', async () => {
    const ok = client(() => Response.json({ success: true, message: 'Session revoked' }))
    await endSession(ok.api, 'a/b')
    expect(ok.calls).toEqual(['DELETE /api/auth/sessions/a%2Fb'])

    const gone = client(() => Response.json({ success: false, error: 'Not found', code: 'NOT_FOUND' }, { status: 404 }))
    await expect(endSession(gone.api, 's9')).resolves.toBeUndefined()

    const down = client(() => Response.json({ success: false, error: 'down', code: 'SERVICE_UNAVAILABLE' }, { status: 503 }))
    await expect(endSession(down.api, 's9')).rejects.toMatchObject({ status: 503 })
  })
})
