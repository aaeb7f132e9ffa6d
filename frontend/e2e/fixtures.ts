import { expect, test as base, type Page } from '@playwright/test'

/** Screenshots for docs/screenshots are only written when MIRUBATO_SCREENSHOTS=1. */
export const SAVE_SCREENSHOTS = process.env.MIRUBATO_SCREENSHOTS === '1'

/** docs/screenshots/<name> at the repository root. */
export function screenshotPath(name: string): string {
  return new URL(`../../docs/screenshots/${name}`, import.meta.url).pathname
}

/** Full-page screenshot into docs/screenshots, only with MIRUBATO_SCREENSHOTS=1. */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  if (!SAVE_SCREENSHOTS) return
  await page.screenshot({ path: screenshotPath(name), fullPage: true, animations: 'disabled' })
}

interface PageProblems {
  /** Console messages of type `error` (CSP violations land here) and uncaught exceptions. */
  errors: string[]
  /** Requests to the app's own origin that failed at the network level or answered >= 400. */
  failedRequests: string[]
}

/**
 * `test` with an automatic guard: every test fails if the page logged a console
 * error, threw an uncaught exception, or a request to the app's own origin failed.
 */
export const test = base.extend<{ problems: PageProblems; allowedErrors: RegExp | null }>({
  /** Console errors a test expects (a test that takes the browser offline sees failed loads). */
  allowedErrors: [null, { option: true }],
  problems: [
    async ({ page, baseURL, allowedErrors }, use) => {
      const origin = new URL(baseURL!).origin
      const problems: PageProblems = { errors: [], failedRequests: [] }
      // Network requests only: a `blob:` URL shares the origin but is in-memory data, and
      // the browser aborts its load when the page revokes it (a thumbnail left behind).
      const ownOrigin = (url: string) => {
        try {
          const parsed = new URL(url)
          return parsed.protocol.startsWith('http') && parsed.origin === origin
        } catch {
          return false
        }
      }
      page.on('console', (msg) => {
        if (msg.type() === 'error' && !allowedErrors?.test(msg.text())) {
          const loc = msg.location()
          problems.errors.push(`console.error: ${msg.text()}${loc.url ? ` (${loc.url})` : ''}`)
        }
      })
      page.on('pageerror', (err) => problems.errors.push(`uncaught: ${err.message}`))
      page.on('requestfailed', (req) => {
        if (ownOrigin(req.url())) {
          problems.failedRequests.push(
            `${req.method()} ${req.url()}: ${req.failure()?.errorText ?? 'failed'}`,
          )
        }
      })
      page.on('response', (res) => {
        if (ownOrigin(res.url()) && res.status() >= 400) {
          problems.failedRequests.push(`${res.request().method()} ${res.url()}: HTTP ${res.status()}`)
        }
      })

      await use(problems)

      // Checked before the page closes, so teardown aborts are not counted.
      expect(problems.errors, 'console errors / uncaught exceptions').toEqual([])
      expect(problems.failedRequests, 'failed requests to the app origin').toEqual([])
    },
    { auto: true },
  ],
})

export { expect }
