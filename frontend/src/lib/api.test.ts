import { describe, expect, it } from 'vitest'
import { ApiClient, type TokenStore, type Tokens } from './api'

function memoryStore(initial: Tokens): TokenStore & { expired: boolean } {
  let current: Tokens | null = initial
  return {
    expired: false,
    tokens: () => current,
    setTokens(tokens) {
      current = tokens
    },
    expire() {
      current = null
      this.expired = true
    },
  }
}

describe('ApiClient.forService', () => {
  it('renews an expired session through the api worker, then retries on the other service', async () => {
    const calls: string[] = []
    const store = memoryStore({ accessToken: 'old', refreshToken: 'r1' })
    const fetchImpl = (url: string, init?: RequestInit) => {
      const auth = new Headers(init?.headers).get('authorization')
      calls.push(`${init?.method ?? 'GET'} ${url} ${auth ?? '-'}`)
      if (url.endsWith('/api/auth/refresh')) {
        return Promise.resolve(Response.json({ accessToken: 'new', refreshToken: 'r2' }))
      }
      return Promise.resolve(auth === 'Bearer new' ? Response.json({ ok: true }) : Response.json({}, { status: 401 }))
    }
    const scores = new ApiClient('https://api.test', store, fetchImpl).forService('https://scores.test/')
    expect(await scores.request('/api/user/favorites')).toEqual({ ok: true })
    expect(calls).toEqual([
      'GET https://scores.test/api/user/favorites Bearer old',
      'POST https://api.test/api/auth/refresh -',
      'GET https://scores.test/api/user/favorites Bearer new',
    ])
    expect(store.tokens()).toEqual({ accessToken: 'new', refreshToken: 'r2' })
  })

  it('sends a multipart form as is, without a JSON content type', async () => {
    let sent: RequestInit | undefined
    const client = new ApiClient('https://scores.test', memoryStore({ accessToken: 'a', refreshToken: 'r' }), (_url, init) => {
      sent = init
      return Promise.resolve(Response.json({ success: true }, { status: 201 }))
    })
    const form = new FormData()
    form.append('file', new Blob(['%PDF-1.4']), 'a.pdf')
    await client.request('/api/import/pdf', { method: 'POST', form })
    expect(sent?.body).toBe(form)
    expect(new Headers(sent?.headers).get('content-type')).toBeNull()
  })
})

describe('ApiClient.renew', () => {
  it('runs one refresh for concurrent 401s, stores the new pair, and retries each call with it', async () => {
    const store = memoryStore({ accessToken: 'old', refreshToken: 'r1' })
    const refreshes: unknown[] = []
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    const fetchImpl = async (url: string, init?: RequestInit) => {
      if (url.endsWith('/api/auth/refresh')) {
        refreshes.push(JSON.parse(String(init?.body)))
        await gate
        return Response.json({ success: true, accessToken: 'new', refreshToken: 'r2', expiresIn: 900 })
      }
      const auth = new Headers(init?.headers).get('authorization')
      return auth === 'Bearer new' ? Response.json({ path: url }) : Response.json({}, { status: 401 })
    }
    const api = new ApiClient('https://api.test', store, fetchImpl)
    const scores = api.forService('https://scores.test')
    const calls = Promise.all([api.request('/a'), api.request('/b'), scores.request('/c'), api.renew()])
    await new Promise((resolve) => setTimeout(resolve, 10))
    release()
    const [a, b, c, renewed] = await calls
    expect(refreshes).toEqual([{ refreshToken: 'r1' }])
    expect([a, b, c, renewed]).toEqual([
      { path: 'https://api.test/a' },
      { path: 'https://api.test/b' },
      { path: 'https://scores.test/c' },
      'renewed',
    ])
    expect(store.tokens()).toEqual({ accessToken: 'new', refreshToken: 'r2' })
    // The next renewal presents the rotated token, never the spent one.
    await api.renew()
    expect(refreshes).toEqual([{ refreshToken: 'r1' }, { refreshToken: 'r2' }])
  })

  it('does not refresh again for a 401 to a call sent before another refresh finished', async () => {
    const store = memoryStore({ accessToken: 'old', refreshToken: 'r1' })
    let refreshes = 0
    const api = new ApiClient('https://api.test', store, async (url, init) => {
      if (url.endsWith('/api/auth/refresh')) {
        refreshes += 1
        return Response.json({ accessToken: 'new', refreshToken: 'r2' })
      }
      const auth = new Headers(init?.headers).get('authorization')
      if (auth === 'Bearer old') {
        // Meanwhile someone else renewed the pair.
        store.setTokens({ accessToken: 'new', refreshToken: 'r2' })
        return Response.json({}, { status: 401 })
      }
      return Response.json({ ok: true })
    })
    expect(await api.request('/x')).toEqual({ ok: true })
    expect(refreshes).toBe(0)
  })

  it('ends the session when the refresh is refused, and keeps it when the refresh could not be tried', async () => {
    const refused = memoryStore({ accessToken: 'a', refreshToken: 'spent' })
    const api = new ApiClient('https://api.test', refused, async (url) =>
      url.endsWith('/api/auth/refresh')
        ? Response.json({ success: false, error: 'Invalid refresh token', code: 'UNAUTHORIZED' }, { status: 401 })
        : Response.json({ success: false, error: 'Unauthorized', code: 'UNAUTHORIZED' }, { status: 401 }),
    )
    await expect(api.request('/api/user/me')).rejects.toMatchObject({ status: 401 })
    expect(refused.expired).toBe(true)
    expect(refused.tokens()).toBeNull()

    const offline = memoryStore({ accessToken: 'a', refreshToken: 'r' })
    const unreachable = new ApiClient('https://api.test', offline, async (url) => {
      if (url.endsWith('/api/auth/refresh')) throw new TypeError('Failed to fetch')
      return Response.json({}, { status: 401 })
    })
    expect(await unreachable.renew()).toBe('failed')
    await expect(unreachable.request('/api/user/me')).rejects.toMatchObject({ status: 401 })
    expect(offline.expired).toBe(false)
    expect(offline.tokens()).toEqual({ accessToken: 'a', refreshToken: 'r' })
  })

  it('does not apply an answer to a session that was replaced while the refresh ran', async () => {
    const store = memoryStore({ accessToken: 'a1', refreshToken: 'r1' })
    const api = new ApiClient('https://api.test', store, async () => {
      store.setTokens({ accessToken: 'b1', refreshToken: 'other' })
      return Response.json({ accessToken: 'a2', refreshToken: 'r2' })
    })
    await api.renew()
    expect(store.tokens()).toEqual({ accessToken: 'b1', refreshToken: 'other' })
  })
})

describe('ApiClient.logout', () => {
  it('sends the bearer and the refresh token held, renewing an expired access token first', async () => {
    const store = memoryStore({ accessToken: 'old', refreshToken: 'r1' })
    const calls: string[] = []
    const api = new ApiClient('https://api.test', store, async (url, init) => {
      const auth = new Headers(init?.headers).get('authorization') ?? '-'
      calls.push(`${url.replace('https://api.test', '')} ${auth} ${String(init?.body)}`)
      if (url.endsWith('/api/auth/refresh')) return Response.json({ accessToken: 'new', refreshToken: 'r2' })
      return auth === 'Bearer new' ? Response.json({ success: true }) : Response.json({}, { status: 401 })
    })
    await api.logout()
    expect(calls).toEqual([
      '/api/auth/logout Bearer old {"refreshToken":"r1"}',
      '/api/auth/refresh - {"refreshToken":"r1"}',
      '/api/auth/logout Bearer new {"refreshToken":"r2"}',
    ])
  })

  it('reports a failed logout', async () => {
    const api = new ApiClient('https://api.test', memoryStore({ accessToken: 'a', refreshToken: 'r' }), async () =>
      Response.json({ success: false, error: 'down', code: 'SERVICE_UNAVAILABLE' }, { status: 503 }),
    )
    await expect(api.logout()).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' })
  })
})
