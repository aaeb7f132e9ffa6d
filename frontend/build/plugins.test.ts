import { describe, expect, it } from 'vitest'
import { initialChunks } from './plugins'

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
