import { describe, expect, it } from 'vitest'
import { fontPreloads, initialChunks } from './plugins'

describe('initialChunks', () => {
  it('follows static imports from the entry and leaves lazy chunks out', () => {
    const bundle = {
      'assets/index.js': { type: 'chunk' as const, fileName: 'assets/index.js', isEntry: true, imports: ['assets/react.js'] },
      'assets/react.js': { type: 'chunk' as const, fileName: 'assets/react.js', imports: ['assets/runtime.js', 'assets/index.js'] },
      'assets/runtime.js': { type: 'chunk' as const, fileName: 'assets/runtime.js' },
      'assets/Reports.js': { type: 'chunk' as const, fileName: 'assets/Reports.js', imports: ['assets/react.js'] },
      'assets/index.css': { type: 'asset' as const, fileName: 'assets/index.css' },
    }
    expect(initialChunks(bundle)).toEqual(['assets/index.js', 'assets/react.js', 'assets/runtime.js'])
  })
})

describe('fontPreloads', () => {
  it('preloads each woff2 file of the bundle, in CORS mode as fonts are fetched', () => {
    const tags = fontPreloads(['assets/index-abc.js', 'assets/serif-2.woff2', 'assets/index-abc.css', 'assets/inter-1.woff2'])
    expect(tags.map((tag) => tag.attrs.href)).toEqual(['/assets/inter-1.woff2', '/assets/serif-2.woff2'])
    expect(tags[0]).toEqual({
      tag: 'link',
      attrs: { rel: 'preload', href: '/assets/inter-1.woff2', as: 'font', type: 'font/woff2', crossorigin: true },
      injectTo: 'head',
    })
  })
})
