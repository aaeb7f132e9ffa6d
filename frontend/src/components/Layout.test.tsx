import { renderToStaticMarkup } from 'react-dom/server'
import { MemoryRouter } from 'react-router'
import { describe, expect, it } from 'vitest'
import { ConfigProvider } from '../config-context'
import { Layout } from './Layout'

const config = {
  apiUrl: 'http://api',
  scoresUrl: 'http://scores',
  dictionaryUrl: 'http://dictionary',
  syncUrl: 'ws://sync/ws',
  environment: 'test',
  version: '9.9.9',
}

function render(path: string) {
  return renderToStaticMarkup(
    <ConfigProvider config={config}>
      <MemoryRouter initialEntries={[path]}>
        <Layout />
      </MemoryRouter>
    </ConfigProvider>,
  )
}

describe('Layout', () => {
  it('has a main landmark, a skip link and both navigations with every section', () => {
    const html = render('/')
    expect(html).toContain('<main id="main"')
    expect(html).toContain('href="#main"')
    expect(html.match(/<nav aria-label="Main"/g)).toHaveLength(2)
    for (const path of ['/logbook', '/repertoire', '/scorebook', '/toolbox', '/profile', '/status']) {
      expect(html.match(new RegExp(`href="${path}"`, 'g'))).toHaveLength(2)
    }
    expect(html).toContain('test · v9.9.9')
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
