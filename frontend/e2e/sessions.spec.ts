import type { APIRequestContext, Page } from '@playwright/test'
import { appConfig, signIn, uniqueEmail } from './app'
import { expect, saveScreenshot, test } from './fixtures'

interface Held {
  accessToken: string
  refreshToken: string
  /** The session id both tokens carry. */
  sid: string
}

/** The tokens the page holds, and the session id in them. */
async function held(page: Page): Promise<Held> {
  const tokens = await page.evaluate(() => JSON.parse(localStorage.getItem('mirubato.session') ?? 'null') as { accessToken: string; refreshToken: string } | null)
  expect(tokens, 'a signed-in session in localStorage').not.toBeNull()
  const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { sid?: unknown }
  const sid = claims(tokens!.accessToken).sid
  expect(typeof sid, 'the access token carries a session id').toBe('string')
  expect(claims(tokens!.refreshToken).sid, 'both tokens carry the same session id').toBe(sid)
  return { ...tokens!, sid: sid as string }
}

/** Whether the server still takes these tokens: the status of `/api/user/me`, and of a refresh. */
async function serverSays(request: APIRequestContext, apiUrl: string, tokens: Held): Promise<[number, number]> {
  const me = await request.get(`${apiUrl}/api/user/me`, { headers: { authorization: `Bearer ${tokens.accessToken}` } })
  const refresh = await request.post(`${apiUrl}/api/auth/refresh`, { data: { refreshToken: tokens.refreshToken } })
  return [me.status(), refresh.status()]
}

const sessionsOf = (page: Page) => page.getByRole('region', { name: 'Sessions' }).getByTestId('session')

/** The other device sees its session end on its own (the socket closes with 4401, the renewal is refused). */
async function expectEndedElsewhere(page: Page) {
  await expect(page.getByTestId('session-ended')).toBeVisible({ timeout: 20_000 })
  await expect(page.getByText('You are using Mirubato on this device only.')).toBeVisible()
  expect(await page.evaluate(() => localStorage.getItem('mirubato.session'))).toBeNull()
}

test('sessions: list this device and another, sign the other out from here, then sign out everywhere', async ({ page, browser, request, baseURL }) => {
  test.setTimeout(150_000)
  const { apiUrl } = await appConfig(request, baseURL!)
  const email = uniqueEmail('sessions')
  const otherContext = await browser.newContext()
  const other = await otherContext.newPage()

  await signIn(page, request, baseURL!, email)
  await signIn(other, request, baseURL!, email)
  const mine = await held(page)
  const theirs = await held(other)
  expect(theirs.sid).not.toBe(mine.sid)
  // The socket is up with the token as a subprotocol; the URL carries none.
  const socketUrls: string[] = []
  page.on('websocket', (socket) => socketUrls.push(socket.url()))

  await other.goto('/profile')
  await page.goto('/profile')
  const rows = sessionsOf(page)
  await expect(rows).toHaveCount(2)
  const current = rows.filter({ hasText: 'This device' })
  await expect(current).toHaveCount(1)
  await expect(current).toHaveAttribute('data-session-id', mine.sid)
  await expect(current).toContainText(/Last used (now|\d+ (second|minute)s? ago)/)
  await expect(current.getByRole('button')).toHaveCount(0)
  const otherRow = rows.filter({ hasNotText: 'This device' })
  await expect(otherRow).toHaveAttribute('data-session-id', theirs.sid)
  await expect(otherRow).toContainText(/Signed in [A-Z][a-z]{2} \d{1,2}, \d{4}/)
  await saveScreenshot(page, 'profile-sessions.png')
  await expect(page.getByTestId('sync-state').filter({ visible: true })).toHaveAttribute('data-socket', 'open', { timeout: 15_000 })
  expect(socketUrls.length).toBeGreaterThan(0)
  for (const url of socketUrls) {
    expect(url).not.toContain(mine.accessToken)
    expect(new URL(url).searchParams.has('token')).toBe(false)
  }

  // Sign the other browser out from this one: its tokens stop working and it notices by itself.
  await otherRow.getByRole('button', { name: /^Sign out / }).click()
  await expect(page.getByRole('status').filter({ hasText: 'has been signed out.' })).toBeFocused()
  await expect(rows).toHaveCount(1)
  await expectEndedElsewhere(other)
  expect(await serverSays(request, apiUrl, theirs)).toEqual([401, 401])
  // This device was not touched.
  expect((await request.get(`${apiUrl}/api/user/me`, { headers: { authorization: `Bearer ${mine.accessToken}` } })).status()).toBe(200)

  // The other browser signs in again (a new session); then "Sign out everywhere" ends both.
  await signIn(other, request, baseURL!, email)
  const theirsAgain = await held(other)
  await other.goto('/profile')
  await page.reload()
  await expect(rows).toHaveCount(2)

  // The confirmation is a modal dialog: Escape cancels it, and nothing happens.
  const everywhere = page.getByRole('button', { name: 'Sign out everywhere' })
  await everywhere.click()
  const dialog = page.getByRole('dialog', { name: 'Sign out everywhere' })
  await expect(dialog).toBeVisible()
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused()
  await page.keyboard.press('Escape')
  await expect(dialog).toBeHidden()
  await expect(rows).toHaveCount(2)

  await everywhere.click()
  await dialog.getByRole('button', { name: 'Yes, sign out everywhere' }).click()
  await expect(page.getByText('You are using Mirubato on this device only.')).toBeVisible()
  // Signed out here on purpose: not the "session ended" notice.
  await expect(page.getByTestId('session-ended')).toHaveCount(0)
  expect(await page.evaluate(() => localStorage.getItem('mirubato.session'))).toBeNull()
  await expectEndedElsewhere(other)
  expect(await serverSays(request, apiUrl, mine)).toEqual([401, 401])
  expect(await serverSays(request, apiUrl, theirsAgain)).toEqual([401, 401])
  await otherContext.close()
})
