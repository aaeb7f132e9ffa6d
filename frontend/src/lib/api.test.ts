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
