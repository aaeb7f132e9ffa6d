import type { Page } from '@playwright/test'
import { expect, saveScreenshot, test } from './fixtures'

/** Each service card and the dependency names its `/health` report lists. */
const SERVICES = {
  frontend: ['assets'],
  api: ['database', 'kvStore'],
  scores: ['database', 'kvStore', 'storage', 'ai'],
  dictionary: ['database', 'kvStore', 'storage', 'ai'],
  sync: ['api'],
} as const

type Service = keyof typeof SERVICES

async function openStatus(page: Page) {
  const response = await page.goto('/status')
  expect(response?.ok()).toBe(true)
  await expect(page.getByRole('heading', { level: 1, name: 'Status' })).toBeVisible()
  await expect(page).toHaveTitle('Status · Mirubato')
}

/** The card starts as `checking`; wait (up to 20 s) for it to settle healthy, then check its report. */
async function expectHealthy(page: Page, service: Service) {
  const card = page.getByTestId(`health-${service}`)
  await expect(card, `${service} card`).toBeVisible()
  await expect(card.getByRole('heading', { name: service })).toBeVisible()
  await expect(card, `${service} health`).toHaveAttribute('data-status', 'healthy', {
    timeout: 20_000,
  })
  await expect(card).toContainText('Version')
  await expect(card).toContainText('Environment')
  for (const dep of SERVICES[service]) {
    await expect(card.locator(`li[data-dependency="${dep}"]`), `${service} lists ${dep}`).toContainText(
      `${dep}:`,
    )
  }
}

test('status page reports the services healthy', async ({ page }) => {
  await openStatus(page)
  for (const service of Object.keys(SERVICES) as Service[]) {
    await expectHealthy(page, service)
  }
  // Every check has finished (whatever its outcome) before the screenshot.
  await expect(page.getByRole('button', { name: 'Check again' })).toBeEnabled({ timeout: 20_000 })
  await expect(page.locator('[data-status="checking"]')).toHaveCount(0)
  await saveScreenshot(page, 'status.png')

  // "Check again" re-runs the checks and they settle again.
  await page.getByRole('button', { name: 'Check again' }).click()
  await expect(page.getByRole('button', { name: 'Check again' })).toBeEnabled({ timeout: 20_000 })
  await expect(page.getByTestId('health-api')).toHaveAttribute('data-status', 'healthy')
})
