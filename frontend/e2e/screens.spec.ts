import { addPiece, signIn, uniqueEmail, logEntry, openEntryForm } from './app'
import AxeBuilder from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import { expect, saveScreenshot, test } from './fixtures'

/** No serious or critical axe violation on the page as it is. */
async function expectAccessible(page: Page, label: string) {
  // Axe judges the settled page: a colour transition (the theme switching) caught half-way
  // has contrast no one reads.
  await page.waitForFunction(() =>
    document.getAnimations().every((a) => !(a instanceof CSSTransition) || a.playState !== 'running'),
  )
  const results = await new AxeBuilder({ page }).analyze()
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), label).toEqual([])
}

test('the practice timer floats over every screen, survives a reload, reminds, and fills in the entry', async ({ page }) => {
  await page.goto('/logbook')
  const timer = page.getByRole('region', { name: 'Practice timer' })
  await timer.getByRole('button', { name: 'Start timer' }).click()
  await expect(timer.getByRole('button', { name: 'Pause' })).toBeVisible()
  await timer.getByLabel('Interval reminder').selectOption('15')
  // Pretend the session started 16 minutes ago, then reload on another screen: the timer runs
  // on from storage, and the 15-minute reminder is due.
  await page.evaluate(() => {
    const state = JSON.parse(localStorage.getItem('mirubato.timer')!) as { runningSince: number }
    localStorage.setItem('mirubato.timer', JSON.stringify({ ...state, runningSince: state.runningSince - 16 * 60_000 }))
  })
  await page.goto('/toolbox')
  // The tools load as their own chunk: wait for them as a musician would, so the reload
  // below does not abort that request half-way.
  await expect(page.getByRole('button', { name: 'Start', exact: true })).toBeVisible()
  await expect(page.getByTestId('timer-clock')).toHaveText(/^16:0\d$/)
  await expect(page.getByTestId('toast').filter({ hasText: '15 minutes of practice' })).toBeVisible()
  await saveScreenshot(page, 'timer.png')
  // Given once: a reload does not repeat it.
  await page.reload()
  await expect(page.getByRole('button', { name: 'Start', exact: true })).toBeVisible()
  await expect(page.getByTestId('timer-clock')).toHaveText(/^16:\d\d$/)
  await expect(page.getByTestId('toast')).toHaveCount(0)

  // Folded, it shows only the time; unfolded again, it finishes into the logbook's sheet.
  await timer.getByRole('button', { name: 'Fold the timer' }).click()
  await expect(page.getByTestId('timer-clock')).toBeHidden()
  await timer.getByRole('button', { name: /^Show practice timer/ }).click()
  await timer.getByRole('button', { name: 'Pause' }).click()
  await timer.getByRole('button', { name: 'Finish and log' }).click()
  await expect(page).toHaveURL(/\/logbook$/)
  await expect(page.getByRole('form', { name: 'Log practice' }).getByLabel('Duration (minutes)')).toHaveValue('16')
  await expect(page.getByTestId('timer-clock')).toHaveText('00:00')
  expect(await page.evaluate(() => localStorage.getItem('mirubato.timer'))).toBeNull()
})

test('the practice timer in the dark theme and on a phone: no serious axe violation', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' })
  await page.goto('/repertoire')
  const timer = page.getByRole('region', { name: 'Practice timer' })
  await timer.getByRole('button', { name: 'Start timer' }).click()
  await expect(page.locator('html')).toHaveClass(/dark/)
  await expectAccessible(page, 'timer, dark')
  await saveScreenshot(page, 'timer-dark.png')
  await page.setViewportSize({ width: 375, height: 812 })
  await page.emulateMedia({ colorScheme: 'light' })
  await expect(page.locator('html')).not.toHaveClass(/dark/)
  await expectAccessible(page, 'timer, phone')
  await saveScreenshot(page, 'timer-mobile.png')
  // Keyboard: the fold button is reachable and folds the widget.
  await timer.getByRole('button', { name: 'Fold the timer' }).focus()
  await page.keyboard.press('Enter')
  await expect(timer.getByRole('button', { name: /^Show practice timer/ })).toBeVisible()
  await expectAccessible(page, 'timer folded, phone')
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  expect(overflow).toBeLessThanOrEqual(0)
})

test('repertoire: add a piece, change its status, see its practice history', async ({ page }) => {
  await page.goto('/logbook')
  const notes = `nocturne ${Date.now()}`
  await logEntry(page, { minutes: 20, notes, piece: { title: 'Nocturne Op. 9 No. 2', composer: 'Chopin' } })

  await page.goto('/repertoire')
  await expect(page.getByTestId('empty-state')).toContainText('Your first piece')
  await addPiece(page, 'Nocturne Op. 9 No. 2', 'Chopin')
  await addPiece(page, 'Clair de Lune', 'Debussy')
  const item = page.getByTestId('repertoire-item').filter({ hasText: 'Nocturne Op. 9 No. 2' })
  await expect(item).toContainText('Sessions: 1 · 20 min')
  await expect(item).toContainText('Practised today')
  await item.getByLabel(/^Status/).selectOption('learning')
  await expect(page.getByTestId('tile-pieces')).toHaveText('2')
  await expect(page.getByTestId('tile-active')).toHaveText('1')
  await expect(page.getByTestId('tile-polished')).toHaveText('0')
  // Status order puts the piece being learnt first; by title, Clair de Lune comes first.
  const titles = page.getByTestId('repertoire-item').getByRole('link')
  await expect(titles).toHaveText(['Nocturne Op. 9 No. 2', 'Clair de Lune'])
  await page.getByLabel('Sort by').selectOption('title')
  await expect(titles).toHaveText(['Clair de Lune', 'Nocturne Op. 9 No. 2'])
  await expect(page).toHaveURL(/sort=title/)
  await expectAccessible(page, 'pieces, list')
  await saveScreenshot(page, 'repertoire.png')
  await page.getByRole('button', { name: 'Grid' }).click()
  await expect(page.getByRole('button', { name: 'Grid' })).toHaveAttribute('aria-pressed', 'true')
  await expect(page.locator('ul[data-view="grid"]')).toBeVisible()
  // View and order are in the URL: a reload keeps them. (Once the page is idle: the browser
  // fetches the tab's icon after the load, and a reload would abort that.)
  await page.waitForLoadState('networkidle')
  await page.reload()
  await expect(titles).toHaveText(['Clair de Lune', 'Nocturne Op. 9 No. 2'])
  await expect(page.locator('ul[data-view="grid"]')).toBeVisible()
  await page.emulateMedia({ colorScheme: 'dark' })
  await expect(page.locator('html')).toHaveClass(/dark/)
  await expectAccessible(page, 'pieces, grid, dark')
  await saveScreenshot(page, 'repertoire-grid-dark.png')
  await page.emulateMedia({ colorScheme: 'light' })
  await page.setViewportSize({ width: 375, height: 812 })
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  expect(overflow).toBeLessThanOrEqual(0)
  await saveScreenshot(page, 'repertoire-mobile.png')
  await page.setViewportSize({ width: 1280, height: 800 })

  await item.getByRole('link', { name: 'Nocturne Op. 9 No. 2 — Chopin' }).click()
  await expect(page.getByRole('heading', { level: 1, name: 'Nocturne Op. 9 No. 2 — Chopin' })).toBeVisible()
  await expect(page.getByRole('region', { name: 'Status history' })).toContainText('Planned → Learning')
  await expect(page.getByRole('region', { name: 'Practice history' })).toContainText('20 min')
})

test('goals track linked practice; plans schedule sessions to check in; templates copy plans', async ({ page }) => {
  await page.goto('/goals')
  await page.getByRole('button', { name: 'New goal' }).first().click()
  const goalForm = page.getByRole('form', { name: 'New goal' })
  await goalForm.getByLabel('Goal').fill('Half an hour of scales')
  await goalForm.getByLabel('Target', { exact: true }).fill('30')
  await goalForm.getByRole('button', { name: 'New goal' }).click()
  await expect(page.getByTestId('goal')).toContainText('0 of 30')

  await page.goto('/logbook')
  const entryForm = await openEntryForm(page)
  await entryForm.getByLabel('Goals').selectOption({ label: 'Half an hour of scales' })
  await logEntry(page, { minutes: 20, notes: 'scales for the goal' })
  await page.goto('/goals')
  await expect(page.getByTestId('goal')).toContainText('20 of 30')
  await page.getByRole('button', { name: 'Add progress +10' }).click()
  await expect(page.getByTestId('goal')).toContainText('30 of 30')
  await expect(page.getByTestId('goal')).toContainText('Completed')

  await page.goto('/planning')
  const planForm = page.getByRole('form', { name: 'New plan' })
  await planForm.getByLabel('Plan title').fill('Etudes')
  await planForm.getByLabel('Repeat').selectOption('daily')
  await planForm.getByLabel('Number of sessions').fill('3')
  await planForm.getByRole('button', { name: 'New plan' }).click()
  const plan = page.getByTestId('plan').filter({ hasText: 'Etudes' })
  await expect(plan.getByTestId('occurrence')).toHaveCount(3)
  await plan.getByRole('button', { name: 'Check in' }).first().click()
  await expect(plan.locator('[data-testid="occurrence"][data-status="completed"]')).toHaveCount(1)

  await plan.getByRole('button', { name: 'Save as template' }).click()
  await page.getByRole('region', { name: 'Templates' }).getByRole('button', { name: 'Use template' }).click()
  await expect(page.getByTestId('plan').filter({ hasText: 'Etudes' })).toHaveCount(2)
  await saveScreenshot(page, 'planning.png')
})

test('goals: milestones checked off with their date, target dates with days left, statuses', async ({ page }) => {
  await page.goto('/goals')
  await expect(page.getByTestId('empty-state')).toContainText('Your first goal')
  const inDays = (days: number) => {
    const d = new Date(Date.now() + days * 86_400_000)
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
  }
  for (const [title, date] of [['Spring recital', inDays(10)], ['Sight-read daily', inDays(-2)]] as const) {
    await page.getByRole('button', { name: 'New goal' }).first().click()
    const form = page.getByRole('form', { name: 'New goal' })
    await form.getByLabel('Goal').fill(title)
    await form.getByLabel('Kind').selectOption('custom')
    await form.getByLabel('Target', { exact: true }).fill('')
    await form.getByLabel('Target date').fill(date)
    await form.getByRole('button', { name: 'New goal' }).click()
    await expect(form).toBeHidden()
  }
  const recital = page.getByTestId('goal').filter({ hasText: 'Spring recital' })
  await expect(recital).toContainText('10 days left')
  await expect(page.getByTestId('goal').filter({ hasText: 'Sight-read daily' })).toContainText('2 days overdue')

  for (const step of ['Memorise the Chopin', 'Play it for a friend']) {
    await recital.getByLabel('New milestone').fill(step)
    await recital.getByRole('button', { name: 'Add milestone' }).click()
  }
  await expect(recital.getByTestId('milestone')).toHaveCount(2)
  await recital.getByRole('checkbox', { name: 'Memorise the Chopin' }).check()
  await expect(recital).toContainText('1 of 2 done')
  await expect(recital.getByTestId('milestone').first()).toContainText('done ')
  await expectAccessible(page, 'goals, light')
  await saveScreenshot(page, 'goals.png')

  // Statuses: abandon one, see it under its tab and in the tiles, reopen it.
  const daily = page.getByTestId('goal').filter({ hasText: 'Sight-read daily' })
  await daily.getByRole('button', { name: 'Abandon' }).click()
  await expect(page.getByTestId('tile-goals-abandoned')).toHaveText('1')
  await expect(page.getByTestId('tile-goals-active')).toHaveText('1')
  await page.getByRole('tab', { name: /^Abandoned/ }).click()
  await expect(page.getByTestId('goal')).toHaveCount(1)
  await page.getByTestId('goal').getByRole('button', { name: 'Reopen' }).click()
  await expect(page.getByTestId('goal')).toHaveCount(0)
  await page.getByRole('tab', { name: /^All/ }).click()
  await expect(page.getByTestId('goal')).toHaveCount(2)

  await page.emulateMedia({ colorScheme: 'dark' })
  await expect(page.locator('html')).toHaveClass(/dark/)
  await expectAccessible(page, 'goals, dark')
  await saveScreenshot(page, 'goals-dark.png')
  await page.emulateMedia({ colorScheme: 'light' })
  await page.setViewportSize({ width: 375, height: 812 })
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  expect(overflow).toBeLessThanOrEqual(0)
  await saveScreenshot(page, 'goals-mobile.png')
})

test('toolbox: metronome, counter and circle of fifths', async ({ page }) => {
  await page.goto('/toolbox')
  await page.getByRole('button', { name: 'Start', exact: true }).click()
  await expect(page.getByTestId('metronome-state')).toHaveText('Playing at 100 BPM')
  await page.getByRole('button', { name: 'Stop', exact: true }).click()
  await expect(page.getByTestId('metronome-state')).toHaveText('')
  await page.getByRole('tab', { name: 'Counter' }).click()
  await page.getByRole('button', { name: 'Count one' }).click()
  await page.getByRole('button', { name: 'Count one' }).click()
  await expect(page.getByTestId('counter')).toHaveText('Repetitions: 2')
  await page.getByRole('tab', { name: 'Circle of fifths' }).click()
  await page.getByRole('button', { name: 'E♭', exact: true }).click()
  await expect(page.getByTestId('circle-selected')).toHaveText('E♭ major · C minor · 3♭')
  await page.getByRole('tab', { name: 'Metronome' }).click()
  await saveScreenshot(page, 'toolbox.png')
})

test('ensemble metronome: starting on one device starts the other', async ({ browser, request, baseURL }) => {
  test.setTimeout(90_000)
  const email = uniqueEmail('ensemble')
  const first = await (await browser.newContext()).newPage()
  const second = await (await browser.newContext()).newPage()
  await signIn(first, request, baseURL!, email)
  await signIn(second, request, baseURL!, email)
  await first.goto('/toolbox')
  await second.goto('/toolbox')
  // Wait until both sockets are back up after the navigation.
  for (const page of [first, second]) {
    await expect(page.getByTestId('sync-state').filter({ visible: true })).toHaveAttribute('data-socket', 'open', { timeout: 15_000 })
  }
  // Live frames are best-effort (PROTOCOL.md §4.3): on a busy machine a start can be missed,
  // and a user would press again, so the test does too.
  await expect(async () => {
    await first.getByRole('button', { name: 'Start on all my devices' }).click()
    await expect(second.getByTestId('metronome-state')).toHaveText('Playing at 100 BPM', { timeout: 5_000 })
  }).toPass({ timeout: 30_000 })
  await expect(first.getByTestId('metronome-state')).toHaveText('Playing at 100 BPM')
  await second.getByRole('button', { name: 'Stop', exact: true }).click()
  await expect(first.getByTestId('metronome-state')).toHaveText('', { timeout: 10_000 })
  await first.context().close()
  await second.context().close()
})

test('profile: dark theme, another language, export; signing out returns to local-only', async ({ page, request, baseURL }) => {
  await signIn(page, request, baseURL!, uniqueEmail('profile'))
  await logEntry(page, { minutes: 10, notes: 'for the export' })
  await page.goto('/profile')
  await expect(page.getByTestId('signed-in-as')).toContainText('Signed in as profile-')

  await page.getByLabel('Theme').selectOption('dark')
  await expect(page.locator('html')).toHaveClass(/dark/)
  await saveScreenshot(page, 'profile-dark.png')

  const download = page.waitForEvent('download')
  await page.getByRole('button', { name: 'Export all data' }).click()
  const file = await download
  expect(file.suggestedFilename()).toMatch(/^mirubato-export-\d{4}-\d{2}-\d{2}\.json$/)
  // Importing the export back writes its documents again (as new versions).
  await page.getByLabel('Import data').setInputFiles((await file.path())!)
  await expect(page.getByRole('status').filter({ hasText: 'Items imported: 1.' })).toBeVisible()
  await page.getByLabel('Import data').setInputFiles({ name: 'other.json', mimeType: 'application/json', buffer: Buffer.from('{"x":1}') })
  await expect(page.getByRole('status').filter({ hasText: 'That file is not a Mirubato export.' })).toBeVisible()

  await page.getByLabel('Language').selectOption('de')
  await expect(page.getByRole('heading', { level: 1, name: 'Profil' })).toBeVisible()
  await expect(page.locator('html')).toHaveAttribute('lang', 'de')
  await page.getByLabel('Sprache').selectOption('en')
  await page.getByLabel('Theme').selectOption('light')

  await page.getByRole('button', { name: 'Sign out', exact: true }).click()
  await expect(page.getByText('You are using Mirubato on this device only.')).toBeVisible()
  await page.goto('/logbook')
  await expect(page.getByTestId('entry')).toHaveCount(0)
})

test('deleting the account removes it on the server and leaves the device signed out', async ({ page, request, baseURL }) => {
  await signIn(page, request, baseURL!, uniqueEmail('delete'))
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('mirubato.session')!).accessToken as string)
  await page.goto('/profile')
  page.on('dialog', (dialog) => void dialog.accept())
  await page.getByRole('button', { name: 'Delete account' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'Your account has been deleted.' })).toBeVisible()
  await expect(page.getByText('You are using Mirubato on this device only.')).toBeVisible()
  const { apiUrl } = (await (await request.get(new URL('/config.json', baseURL).toString())).json()) as { apiUrl: string }
  const me = await request.get(`${apiUrl}/api/user/me`, { headers: { authorization: `Bearer ${token}` } })
  expect(me.status()).toBe(401)
})

test.describe('phone width', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })

  test('logbook and reports fit a phone', async ({ page }) => {
    await page.goto('/logbook')
    await logEntry(page, { minutes: 30, notes: 'on the phone' })
    for (const path of ['/logbook', '/reports', '/toolbox', '/planning']) {
      await page.goto(path)
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible()
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
      expect(overflow, path).toBeLessThanOrEqual(0)
    }
    await page.goto('/logbook')
    await expect(page.getByTestId('entry').filter({ hasText: 'on the phone' })).toBeVisible()
    await saveScreenshot(page, 'logbook-mobile.png')
  })
})
