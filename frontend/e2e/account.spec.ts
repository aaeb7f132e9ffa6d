import { appConfig, signIn, uniqueEmail } from './app'
import { expect, test } from './fixtures'

test('without a Google client id in /config.json the sign-in page has no Google button', async ({ page, request, baseURL }) => {
  const config = (await appConfig(request, baseURL!)) as { googleClientId?: string }
  expect(config.googleClientId).toBe('')
  await page.goto('/signin')
  await expect(page.getByRole('button', { name: 'Email me a sign-in link' })).toBeVisible()
  await expect(page.getByTestId('google-sign-in')).toHaveCount(0)
})

test('the display name is set on the profile page and kept by the server', async ({ page, request, baseURL }) => {
  await signIn(page, request, baseURL!, uniqueEmail('named'))
  await page.goto('/profile')
  const form = page.getByRole('form', { name: 'Display name' })
  await form.getByLabel('Display name').fill('  Clara Schumann ')
  await form.getByRole('button', { name: 'Save' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'Display name saved.' })).toBeVisible()
  await expect(page.getByTestId('signed-in-as')).toContainText('Clara Schumann · Signed in as')

  const { apiUrl } = await appConfig(request, baseURL!)
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('mirubato.session') ?? '{}').accessToken as string)
  const me = await request.get(`${apiUrl}/api/user/me`, { headers: { authorization: `Bearer ${token}` } })
  expect(((await me.json()) as { displayName: string }).displayName).toBe('Clara Schumann')
})
