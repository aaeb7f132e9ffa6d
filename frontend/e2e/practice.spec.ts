import { expectSynced, logEntry, serverEntries, signIn, uniqueEmail } from './app'
import { expect, saveScreenshot, test } from './fixtures'

test('signed out, entries stay on the device; signing in merges them and reports count them', async ({ page, request, baseURL }) => {
  await page.goto('/logbook')
  await expect(page.getByTestId('sync-state').filter({ visible: true })).toHaveAttribute('data-state', 'local')
  const notes = `local-only ${Date.now()}`
  await logEntry(page, { minutes: 25, notes, piece: { title: 'Clair de Lune', composer: 'Debussy' } })
  await expect(page.getByTestId('day-total').first()).toHaveText('Total 25 min')

  // It is in IndexedDB, not only on screen: it survives a reload.
  await page.reload()
  await expect(page.getByTestId('entry').filter({ hasText: notes })).toBeVisible()

  await signIn(page, request, baseURL!, uniqueEmail('merge'))
  await expect(page.getByTestId('entry').filter({ hasText: notes })).toBeVisible()
  const stored = await serverEntries(page, request, baseURL!)
  expect(stored.map((e) => e.notes)).toContain(notes)
  expect(stored.find((e) => e.notes === notes)).toMatchObject({
    duration: 25,
    instrument: 'piano',
    pieces: [{ title: 'Clair de Lune', composer: 'Debussy', id: 'clair de lune-debussy' }],
  })
  await saveScreenshot(page, 'logbook.png')

  await page.getByRole('navigation', { name: 'Main' }).filter({ visible: true }).getByRole('link', { name: 'Reports' }).click()
  await expect(page.getByRole('heading', { level: 1, name: 'Reports' })).toBeVisible()
  await expect(page.getByTestId('report-total')).toHaveText('25 min')
  await expect(page.getByTestId('report-sessions')).toHaveText('1')
  await expect(page.getByTestId('report-streak')).toHaveText('1')
  await expect(page.getByTestId('top-pieces')).toContainText('Clair de Lune — Debussy')
  await expect(page.locator('[data-testid="heatmap"] li[data-level="2"]')).toHaveCount(1)

  const download = page.waitForEvent('download')
  await page.getByRole('button', { name: 'Export CSV' }).click()
  const csv = await (await download).createReadStream()
  const text = await new Promise<string>((resolve) => {
    let data = ''
    csv.on('data', (chunk: Buffer) => (data += chunk.toString()))
    csv.on('end', () => resolve(data))
  })
  expect(text).toContain(`,25,practice,piano,Clair de Lune — Debussy,,,,${notes}`)
  await saveScreenshot(page, 'reports.png')
})

test('an entry made on one device appears live on another, and so do its deletion and a preference', async ({ browser, request, baseURL }) => {
  const email = uniqueEmail('live')
  const first = await (await browser.newContext()).newPage()
  const second = await (await browser.newContext()).newPage()
  await signIn(first, request, baseURL!, email)
  await signIn(second, request, baseURL!, email)

  const notes = `live ${Date.now()}`
  await logEntry(first, { minutes: 15, notes })
  // No reload on the second device: the socket brings it.
  await expect(second.getByTestId('entry').filter({ hasText: notes })).toBeVisible({ timeout: 15_000 })

  first.on('dialog', (dialog) => void dialog.accept())
  await first.getByTestId('entry').filter({ hasText: notes }).getByRole('button', { name: 'Delete' }).click()
  await expect(first.getByTestId('entry').filter({ hasText: notes })).toHaveCount(0)
  await expect(second.getByTestId('entry').filter({ hasText: notes })).toHaveCount(0, { timeout: 15_000 })

  // Preferences are synced documents too: the theme follows to the other device.
  await first.goto('/profile')
  await first.getByLabel('Theme').selectOption('dark')
  await expect(second.locator('html')).toHaveClass(/dark/, { timeout: 15_000 })
  await first.context().close()
  await second.context().close()
})

test.describe('offline', () => {
  // Taking the browser offline makes its pending loads and socket reconnects fail on purpose.
  test.use({ allowedErrors: /ERR_INTERNET_DISCONNECTED|WebSocket connection to .* failed/ })

  test('entries logged offline sync after reconnecting', async ({ page, context, request, baseURL }) => {
    // Installing the service worker precaches the whole shell, which a busy machine takes a while for.
    test.setTimeout(90_000)
    await signIn(page, request, baseURL!, uniqueEmail('offline'))
    // The service worker has the app shell before the network goes.
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined))
    // A page loaded after the worker is active is controlled by it, however long it took to
    // claim the page that installed it.
    await page.reload()
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 })
    await context.setOffline(true)
    const notes = `offline ${Date.now()}`
    await logEntry(page, { minutes: 40, notes })
    const badge = page.getByTestId('sync-state').filter({ visible: true })
    await expect(badge).toHaveAttribute('data-pending', '1')
    await expect(badge).toHaveAttribute('data-state', 'offline')
    await saveScreenshot(page, 'logbook-offline.png')

    // The app shell comes from the service worker while offline.
    await page.reload()
    await expect(page.getByTestId('entry').filter({ hasText: notes })).toBeVisible()

    await context.setOffline(false)
    await expectSynced(page)
    const stored = await serverEntries(page, request, baseURL!)
    expect(stored.filter((e) => e.notes === notes)).toHaveLength(1)
  })
})
