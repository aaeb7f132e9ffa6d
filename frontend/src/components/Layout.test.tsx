import 'fake-indexeddb/auto'
import { renderToStaticMarkup } from 'react-dom/server'
import { MemoryRouter } from 'react-router'
import { describe, expect, it } from 'vitest'
import { ConfigProvider } from '../config-context'
import { ApiClient } from '../lib/api'
import { LocalDatabase } from '../lib/db'
import { SessionStore } from '../lib/session'
import { LocalStore } from '../lib/store'
import { ServicesContext, type Services } from '../services'
import { Layout } from './Layout'

function memoryStorage() {
  const map = new Map<string, string>()
  return {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
  }
}

const sessions = new SessionStore(memoryStorage())
const api = new ApiClient('http://api', sessions)
const services: Services = {
  api,
  scores: api.forService('http://scores'),
  sessions,
  store: new LocalStore(new LocalDatabase('layout-test')),
  engine: null,
  uploader: null,
  signIn: () => {},
  signOut: async () => {},
  preferences: { theme: 'auto', language: 'en' },
  setPreferences: () => {},
}

const config = {
  apiUrl: 'http://api',
  scoresUrl: 'http://scores',
  dictionaryUrl: 'http://dictionary',
  syncUrl: 'ws://sync/ws',
  environment: 'test',
  version: '9.9.9',
  googleClientId: null,
}

function render(path: string) {
  return renderToStaticMarkup(
    <ConfigProvider config={config}>
      <ServicesContext value={services}>
        <MemoryRouter initialEntries={[path]}>
          <Layout />
        </MemoryRouter>
      </ServicesContext>
    </ConfigProvider>,
  )
}

describe('Layout', () => {
  it('has a main landmark, a skip link and both navigations with every section', () => {
    const html = render('/')
    expect(html).toContain('<main id="main"')
    expect(html).toContain('href="#main"')
    expect(html.match(/<nav aria-label="Main"/g)).toHaveLength(2)
    for (const path of ['/logbook', '/reports', '/repertoire', '/goals', '/planning', '/scorebook', '/toolbox', '/profile', '/status']) {
      expect(html.match(new RegExp(`href="${path}"`, 'g'))).toHaveLength(2)
    }
    expect(html).toContain('test · v9.9.9')
    // Signed out: local-only mode, with the way to sign in.
    expect(html).toContain('data-state="local"')
    expect(html).toContain('href="/signin"')
    // The practice timer floats on every screen.
    expect(html).toContain('data-testid="floating-timer"')
    expect(html).toContain('Practice timer')
  })

  it('marks the current section', () => {
    const html = render('/status')
    expect(html.match(/aria-current="page"[^>]*href="\/status"|href="\/status"[^>]*aria-current="page"/g)).toHaveLength(2)
    expect(html).not.toMatch(/aria-current="page"[^>]*href="\/logbook"|href="\/logbook"[^>]*aria-current="page"/)
  })

  it('throws outside a ConfigProvider', () => {
    expect(() =>
      renderToStaticMarkup(
        <MemoryRouter>
          <Layout />
        </MemoryRouter>,
      ),
    ).toThrow(/outside <ConfigProvider>/)
  })
})
