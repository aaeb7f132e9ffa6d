import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'
import type { Plugin } from 'vite'

/** Budget for the JavaScript the first page load needs, gzipped. */
export const INITIAL_JS_BUDGET_BYTES = 200 * 1024

interface ChunkInfo {
  type: 'chunk' | 'asset'
  fileName: string
  isEntry?: boolean
  imports?: string[]
  code?: string
}

/** The entry chunk and everything it imports statically: what the browser loads first. */
export function initialChunks(bundle: Record<string, ChunkInfo>): string[] {
  const seen = new Set<string>()
  const visit = (name: string) => {
    const chunk = bundle[name]
    if (!chunk || chunk.type !== 'chunk' || seen.has(name)) return
    seen.add(name)
    for (const imported of chunk.imports ?? []) visit(imported)
  }
  for (const chunk of Object.values(bundle)) if (chunk.type === 'chunk' && chunk.isEntry) visit(chunk.fileName)
  return [...seen].sort()
}

/** Measures the initial JS after every build, prints it, and fails the build over budget. */
export function initialJsBudget(budget = INITIAL_JS_BUDGET_BYTES): Plugin {
  return {
    name: 'mirubato-initial-js-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = initialChunks(bundle as unknown as Record<string, ChunkInfo>)
      const gzipped = files.reduce((sum, name) => {
        const chunk = bundle[name] as unknown as ChunkInfo
        return sum + gzipSync(chunk.code ?? '').length
      }, 0)
      const kb = (gzipped / 1024).toFixed(1)
      this.info(`initial JS: ${kb} KB gzipped (budget ${budget / 1024} KB) in ${files.join(', ')}`)
      if (gzipped > budget) this.error(`initial JS is ${kb} KB gzipped, over the ${budget / 1024} KB budget`)
    },
  }
}

/** `<link rel="preload">` tags for the bundled font files (woff2), as `transformIndexHtml` returns them. */
export function fontPreloads(fileNames: string[], base = '/'): { tag: 'link'; attrs: Record<string, string | boolean>; injectTo: 'head' }[] {
  return fileNames
    .filter((name) => name.endsWith('.woff2'))
    .sort()
    .map((name) => ({
      tag: 'link' as const,
      attrs: { rel: 'preload', href: `${base}${name}`, as: 'font', type: 'font/woff2', crossorigin: true },
      injectTo: 'head' as const,
    }))
}

/**
 * Preloads the self-hosted fonts from the HTML. Without it a face is fetched only when text
 * in it first renders (the serif of piece titles: late, after data arrives), so the download
 * starts mid-page and a navigation at that moment aborts it; preloaded, both start with the
 * HTML, in parallel with the scripts, and text never re-flows when they land.
 */
export function preloadFonts(): Plugin {
  return {
    name: 'mirubato-preload-fonts',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, context) {
        return fontPreloads(Object.keys(context.bundle ?? {}))
      },
    },
  }
}

/**
 * Writes `sw.js` from `src/sw.js` with the build's file list, so the service worker precaches
 * exactly this build's app shell and names its cache after it (a new build replaces the old).
 */
export function serviceWorker(template: URL): Plugin {
  return {
    name: 'mirubato-service-worker',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle)
        .filter((name) => name.startsWith('assets/') && !/\/(es|fr|de|zh-CN|zh-TW)-/.test(name))
        .map((name) => `/${name}`)
        .sort()
      const version = createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 16)
      const source = readFileSync(template, 'utf8')
        .replace('__PRECACHE__', JSON.stringify(['/', '/config.json', '/favicon.svg', '/site.webmanifest', ...files]))
        .replace('__VERSION__', JSON.stringify(version))
      this.emitFile({ type: 'asset', fileName: 'sw.js', source })
    },
  }
}
