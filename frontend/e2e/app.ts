import { expect, type APIRequestContext, type Page } from '@playwright/test'

/** `/config.json` of the stack under test. */
export async function appConfig(request: APIRequestContext, baseURL: string): Promise<{ apiUrl: string; scoresUrl: string }> {
  const response = await request.get(new URL('/config.json', baseURL).toString())
  expect(response.ok()).toBe(true)
  return (await response.json()) as { apiUrl: string; scoresUrl: string }
}

export function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}@example.com`
}

/** Sign in as a user would: request the link, read it from the dev outbox, open it. */
export async function signIn(page: Page, request: APIRequestContext, baseURL: string, email: string): Promise<void> {
  const { apiUrl } = await appConfig(request, baseURL)
  const outbox = async () => {
    const response = await request.get(`${apiUrl}/api/dev/outbox?email=${encodeURIComponent(email)}`)
    const body = (await response.json()) as { messages: { token: string }[] }
    return body.messages
  }
  const before = (await outbox()).length
  await page.goto('/signin')
  await page.getByLabel('Email address').fill(email)
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'Check your inbox' })).toBeVisible()
  let token = ''
  await expect
    .poll(async () => {
      const messages = await outbox()
      token = messages.length > before ? messages[messages.length - 1].token : ''
      return token
    })
    .not.toBe('')
  await page.goto(`/auth/verify?token=${encodeURIComponent(token)}`)
  await expect(page).toHaveURL('/logbook')
  // Signed in means on the logbook, loaded: a test that goes elsewhere at once would otherwise
  // abort the logbook's route chunks mid-download.
  await expect(page.getByRole('heading', { level: 1, name: 'Logbook' })).toBeVisible()
  await expectSynced(page)
}

/** The device has nothing left to send and has caught up. */
export async function expectSynced(page: Page): Promise<void> {
  const badge = page.getByTestId('sync-state').filter({ visible: true })
  await expect(badge).toHaveAttribute('data-state', 'synced', { timeout: 15_000 })
  await expect(badge).toHaveAttribute('data-pending', '0', { timeout: 15_000 })
}

export interface EntryInput {
  minutes: number
  notes: string
  piece?: { title: string; composer: string }
}

/** The new-entry form on /logbook: in a sheet, opened with "Add entry" unless it is open already. */
export async function openEntryForm(page: Page) {
  const form = page.getByRole('form', { name: 'Log practice' })
  if (!(await form.isVisible())) await page.getByRole('button', { name: 'Add entry', exact: true }).click()
  await expect(page.getByRole('dialog', { name: 'Log practice' })).toBeVisible()
  return form
}

/** Fill and save the new-entry form on /logbook (the sheet closes on save). */
export async function logEntry(page: Page, entry: EntryInput): Promise<void> {
  const form = await openEntryForm(page)
  await form.getByLabel('Duration (minutes)').fill(String(entry.minutes))
  if (entry.piece) {
    await form.getByLabel('Piece title').fill(entry.piece.title)
    await form.getByLabel('Composer').fill(entry.piece.composer)
    await form.getByRole('button', { name: 'Add piece' }).click()
  }
  await form.getByLabel('Notes').fill(entry.notes)
  await form.getByRole('button', { name: 'Save' }).click()
  await expect(form).toBeHidden()
  await expect(page.getByTestId('entry').filter({ hasText: entry.notes })).toBeVisible()
}

/** The documents the server holds for the page's signed-in user (a full pull). */
export async function serverEntries(page: Page, request: APIRequestContext, baseURL: string): Promise<Record<string, unknown>[]> {
  const { apiUrl } = await appConfig(request, baseURL)
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('mirubato.session') ?? '{}').accessToken as string)
  const response = await request.post(`${apiUrl}/api/sync/pull`, {
    headers: { authorization: `Bearer ${token}` },
    data: {},
  })
  expect(response.ok()).toBe(true)
  const body = (await response.json()) as { entries: Record<string, unknown>[] }
  return body.entries.filter((entry) => typeof entry.deletedAt !== 'string')
}

/** Add a piece on /repertoire: "Add piece" opens the sheet with the form. */
export async function addPiece(page: Page, title: string, composer: string): Promise<void> {
  await page.getByRole('button', { name: 'Add piece' }).first().click()
  const form = page.getByRole('form', { name: 'Add to repertoire' })
  await form.getByLabel('Piece title').fill(title)
  await form.getByLabel('Composer').fill(composer)
  await form.getByRole('button', { name: 'Add to repertoire' }).click()
  await expect(form).toBeHidden()
  await expect(page.getByTestId('repertoire-item').filter({ hasText: title })).toBeVisible()
}
