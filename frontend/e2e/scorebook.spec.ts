import type { APIRequestContext, Page } from '@playwright/test'
import { appConfig, signIn, uniqueEmail } from './app'
import { expect, saveScreenshot, test } from './fixtures'

/** One of the engraved seed scores as PDF bytes (the stack's `POST /api/dev/seed` makes them). */
async function seedPdf(request: APIRequestContext, baseURL: string): Promise<Buffer> {
  const { scoresUrl } = await appConfig(request, baseURL)
  expect((await request.post(`${scoresUrl}/api/dev/seed`)).ok()).toBe(true)
  const listed = (await (await request.get(`${scoresUrl}/api/scores?limit=50`)).json()) as {
    data: { items: { id: string; sourceType: string }[] }
  }
  const seed = listed.data.items.find((score) => score.sourceType === 'pdf')
  expect(seed, 'a seeded PDF score').toBeDefined()
  const pdf = await request.get(`${scoresUrl}/api/scores/${seed!.id}/download/pdf`)
  expect(pdf.ok()).toBe(true)
  return pdf.body()
}

/** Dark pixels on the rendered page: engraved staves and notes, not a blank canvas. */
function inkedPixels(page: Page): Promise<number> {
  return page.getByTestId('pdf-page').evaluate((canvas: HTMLCanvasElement) => {
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height)
    let inked = 0
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && data[i] + data[i + 1] + data[i + 2] < 300) inked++
    return inked
  })
}

test('signed out, the scorebook shows public scores and asks to sign in before importing', async ({ page, request, baseURL }) => {
  await seedPdf(request, baseURL!)
  await page.goto('/scorebook')
  await expect(page.getByRole('heading', { level: 1, name: 'Scorebook' })).toBeVisible()
  await expect(page.getByTestId('score-card').first()).toBeVisible()
  await expect(page.getByText('Sign in to import your own scores')).toBeVisible()
  await expect(page.getByRole('form', { name: 'Import a score' })).toHaveCount(0)
  await page.getByLabel('Search scores').fill('petzold')
  await page.getByRole('button', { name: 'Search', exact: true }).click()
  await expect(page.getByTestId('score-card')).toHaveCount(1)
  await expect(page.getByTestId('score-card')).toContainText('Christian Petzold')
})

test('an uploaded PDF is processed, gets a thumbnail, opens in the viewer and joins favourites and a collection', async ({
  page,
  request,
  baseURL,
}) => {
  test.setTimeout(120_000)
  const pdf = await seedPdf(request, baseURL!)
  await signIn(page, request, baseURL!, uniqueEmail('scorebook'))
  await page.goto('/scorebook')
  await expect(page.getByTestId('score-card').first()).toBeVisible()
  await saveScreenshot(page, 'scorebook.png')

  const title = `Upload ${Date.now().toString(36)}`
  const form = page.getByRole('form', { name: 'Import a score' })
  await form.getByLabel('PDF file (up to 50 MB)').setInputFiles({ name: 'my-score.pdf', mimeType: 'application/pdf', buffer: pdf })
  await form.getByLabel('Title (optional)').fill(title)
  await form.getByRole('button', { name: 'Import', exact: true }).click()

  // The score page follows processing until it is done.
  await expect(page).toHaveURL(/\/scorebook\/score_[0-9a-f]{24}$/)
  const status = page.getByTestId('processing-status')
  await expect(status).toHaveAttribute('data-status', 'completed', { timeout: 60_000 })
  await expect(status).toContainText('Ready')

  // pdf.js draws page 1 on the canvas.
  await expect(page.getByTestId('pdf-page')).toHaveAttribute('data-rendered-page', '1', { timeout: 20_000 })
  expect(await inkedPixels(page)).toBeGreaterThan(500)
  await expect(page.getByTestId('page-indicator')).toHaveText(/^Page 1 of \d+$/)

  await page.getByRole('button', { name: 'Add to favourites' }).click()
  await expect(page.getByRole('button', { name: 'Remove from favourites' })).toHaveAttribute('aria-pressed', 'true')
  await saveScreenshot(page, 'score-viewer.png')

  // Back in the scorebook the thumbnail has loaded.
  await page.getByRole('link', { name: 'Back to the scorebook' }).click()
  await page.getByLabel('Search scores').fill(title)
  await page.getByRole('button', { name: 'Search', exact: true }).click()
  const card = page.getByTestId('score-card').filter({ hasText: title })
  await expect(card).toHaveCount(1)
  const thumbnail = card.getByTestId('score-thumbnail')
  await expect.poll(() => thumbnail.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 15_000 }).toBeGreaterThan(0)

  await page.getByLabel('Show').selectOption({ label: 'Favourites' })
  await expect(page.getByTestId('score-card')).toHaveCount(1)
  await expect(page.getByTestId('score-card')).toContainText(title)

  // A new collection, then the score added to it from its page.
  await page.getByLabel('New collection name').fill('Recital')
  await page.getByRole('button', { name: 'Create collection' }).click()
  await expect(page.getByLabel('Show')).toHaveValue(/^collection:/)
  await expect(page.getByText('No scores here yet.')).toBeVisible()
  await page.getByLabel('Show').selectOption({ label: 'Favourites' })
  await page.getByTestId('score-card').filter({ hasText: title }).click()
  await page.getByRole('checkbox', { name: 'Recital' }).check()
  await page.getByRole('link', { name: 'Back to the scorebook' }).click()
  await page.getByLabel('Show').selectOption({ label: 'Collection: Recital' })
  await expect(page.getByTestId('score-card')).toHaveCount(1)
  await expect(page.getByTestId('score-card')).toContainText(title)

  // Removing it empties the collection again.
  await page.getByTestId('score-card').filter({ hasText: title }).click()
  await expect(page.getByRole('checkbox', { name: 'Recital' })).toBeChecked()
  await page.getByRole('checkbox', { name: 'Recital' }).uncheck()
  await expect(page.getByRole('checkbox', { name: 'Recital' })).not.toBeChecked()
  await page.getByRole('link', { name: 'Back to the scorebook' }).click()
  await page.getByLabel('Show').selectOption({ label: 'Collection: Recital' })
  await expect(page.getByText('No scores here yet.')).toBeVisible()

  await page.setViewportSize({ width: 390, height: 844 })
  await page.getByLabel('Show').selectOption({ label: 'All scores' })
  await expect(page.getByTestId('score-card').first()).toBeVisible()
  await saveScreenshot(page, 'scorebook-phone.png')
})
