import { expect, saveScreenshot, test } from './fixtures'

const NAV = [
  { label: 'Logbook', path: '/logbook' },
  { label: 'Reports', path: '/reports' },
  { label: 'Repertoire', path: '/repertoire' },
  { label: 'Goals', path: '/goals' },
  { label: 'Planning', path: '/planning' },
  { label: 'Scorebook', path: '/scorebook' },
  { label: 'Toolbox', path: '/toolbox' },
  { label: 'Profile', path: '/profile' },
  { label: 'Status', path: '/status' },
]

declare global {
  interface Window {
    __marker?: number
  }
}

test('landing page renders with a CSP header', async ({ page }) => {
  const response = await page.goto('/')
  expect(response?.status()).toBe(200)
  const csp = response?.headers()['content-security-policy']
  expect(csp, 'content-security-policy header on /').toBeTruthy()
  expect(csp).toContain("default-src 'self'")

  await expect(page).toHaveTitle('Mirubato')
  await expect(page.getByRole('heading', { level: 1, name: 'Mirubato' })).toBeVisible()
  const cta = page.getByRole('link', { name: 'Open your logbook' })
  await expect(cta).toBeVisible()
  await expect(cta).toHaveAttribute('href', '/logbook')
  await saveScreenshot(page, 'home.png')

  await cta.click()
  await expect(page).toHaveURL('/logbook')
  await expect(page.getByRole('heading', { level: 1, name: 'Logbook' })).toBeVisible()
})

test('sidebar navigation is client-side', async ({ page }) => {
  await page.goto('/')
  await expect(page.getByRole('heading', { level: 1, name: 'Mirubato' })).toBeVisible()
  // A full page load would wipe this.
  await page.evaluate(() => {
    window.__marker = 1
  })

  const sidebar = page.locator('aside').getByRole('navigation', { name: 'Main' })
  await expect(sidebar).toBeVisible()
  for (const { label, path } of NAV) {
    await sidebar.getByRole('link', { name: label }).click()
    await expect(page).toHaveURL(path)
    await expect(page.getByRole('heading', { level: 1, name: label })).toBeVisible()
    await expect(page).toHaveTitle(`${label} · Mirubato`)
    await expect(sidebar.getByRole('link', { name: label })).toHaveAttribute('aria-current', 'page')
    expect(await page.evaluate(() => window.__marker), `no reload going to ${path}`).toBe(1)
  }

  // Back to the start through the brand link, still without a reload.
  await page.locator('aside').getByRole('link', { name: 'Mirubato' }).click()
  await expect(page).toHaveURL('/')
  await expect(page.getByRole('heading', { level: 1, name: 'Mirubato' })).toBeVisible()
  expect(await page.evaluate(() => window.__marker)).toBe(1)

  // Browser history works too.
  await page.goBack()
  await expect(page).toHaveURL('/status')
  expect(await page.evaluate(() => window.__marker)).toBe(1)
})

test('deep links load directly', async ({ page }) => {
  for (const { label, path } of NAV) {
    const response = await page.goto(path)
    expect(response?.status(), path).toBe(200)
    await expect(page.getByRole('heading', { level: 1, name: label })).toBeVisible()
  }
})

test('unknown routes show the app 404 page', async ({ page }) => {
  await page.goto('/no-such-page')
  await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible()
  await expect(page.getByText('/no-such-page')).toBeVisible()
  await expect(page).toHaveTitle('Page not found · Mirubato')
  await page.getByRole('link', { name: 'Go to the start page' }).click()
  await expect(page).toHaveURL('/')
  await expect(page.getByRole('heading', { level: 1, name: 'Mirubato' })).toBeVisible()
})

test.describe('phone layout', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })

  test('bottom tab bar instead of the sidebar', async ({ page }) => {
    await page.goto('/')
    await expect(page.getByRole('heading', { level: 1, name: 'Mirubato' })).toBeVisible()
    await expect(page.locator('aside')).toBeHidden()

    const tabs = page.getByRole('navigation', { name: 'Main' }).filter({ visible: true })
    await expect(tabs).toHaveCount(1)
    const box = await tabs.boundingBox()
    expect(box, 'tab bar box').not.toBeNull()
    // Pinned to the bottom edge and spanning the width.
    expect(box!.y + box!.height).toBeCloseTo(844, 0)
    expect(box!.width).toBeCloseTo(390, 0)
    for (const { label } of NAV) {
      await expect(tabs.getByRole('link', { name: label })).toBeVisible()
    }

    // Nothing overflows horizontally at phone width.
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    )
    expect(overflow).toBeLessThanOrEqual(0)
    await saveScreenshot(page, 'home-mobile.png')

    await page.evaluate(() => {
      window.__marker = 1
    })
    await tabs.getByRole('link', { name: 'Repertoire' }).click()
    await expect(page).toHaveURL('/repertoire')
    await expect(page.getByRole('heading', { level: 1, name: 'Repertoire' })).toBeVisible()
    expect(await page.evaluate(() => window.__marker)).toBe(1)
  })
})

test('Tab from the top focuses the skip link first', async ({ page }) => {
  await page.goto('/logbook')
  await expect(page.getByRole('heading', { level: 1, name: 'Logbook' })).toBeVisible()
  await page.keyboard.press('Tab')
  const skip = page.getByRole('link', { name: 'Skip to content' })
  await expect(skip).toBeFocused()
  await expect(skip).toBeVisible()
  await expect(skip).toHaveAttribute('href', '#main')
  await page.keyboard.press('Enter')
  await expect(page.locator('main#main')).toBeFocused()
})
