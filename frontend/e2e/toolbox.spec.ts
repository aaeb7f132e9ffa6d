import { mkdirSync, writeFileSync } from 'node:fs'
import AxeBuilder from '@axe-core/playwright'
import { chromium, type Page } from '@playwright/test'
import { encodeWav, instrumentTone } from '../src/lib/tools/wav'
import { addPiece, expectSynced, signIn, uniqueEmail } from './app'
import { expect, saveScreenshot, test } from './fixtures'
import config from '../playwright.config'

const TOOLS = ['Metronome', 'Tuner', 'Drone', 'Circle of fifths', 'Counter'] as const

async function openTool(page: Page, name: (typeof TOOLS)[number]) {
  await page.getByRole('tab', { name, exact: true }).click()
  await expect(page.getByRole('tab', { name, exact: true })).toHaveAttribute('aria-selected', 'true')
}

/** No serious or critical axe violation on the page as it is. */
async function expectAccessible(page: Page, label: string) {
  const results = await new AxeBuilder({ page }).analyze()
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), label).toEqual([])
}

test('metronome: keyboard, accents and trainer; the beat follows the audio clock; settings survive a reload', async ({ page }) => {
  await page.goto('/toolbox?tool=metronome')
  await expect(page.getByTestId('bpm')).toHaveText('100')
  await page.locator('body').press('ArrowUp')
  await page.locator('body').press('Shift+ArrowUp')
  await expect(page.getByTestId('bpm')).toHaveText('111')
  await expect(page.getByRole('link', { name: 'Moderato' })).toHaveAttribute('href', '/toolbox/dictionary/moderato')

  await page.getByLabel('Time signature').selectOption('7/8')
  const accents = page.getByTestId('accents').getByRole('button')
  await expect(accents).toHaveCount(7)
  await expect(accents.nth(2)).toHaveAccessibleName('Beat 3: medium')
  await accents.nth(1).click()
  await expect(accents.nth(1)).toHaveAccessibleName('Beat 2: silent')
  await page.getByRole('combobox', { name: /^Subdivision/ }).selectOption('triplets')

  // Keys act anywhere but in a field: click the page's heading, away from the select.
  await page.getByRole('heading', { level: 1 }).click()
  await page.locator('body').press('Space')
  await expect(page.getByTestId('metronome-state')).toHaveText('Playing at 111 BPM')
  // The flash shows the beat the audio clock has reached: it moves on while playing.
  const flash = page.getByTestId('beat-flash')
  await expect(flash).not.toHaveAttribute('data-beat', '')
  const seen = new Set<string>()
  await expect
    .poll(async () => {
      seen.add((await flash.getAttribute('data-beat')) ?? '')
      return seen.size
    })
    .toBeGreaterThan(2)
  await saveScreenshot(page, 'toolbox-metronome.png')
  // It keeps playing while another tool is open; the counter logs the tempo in use.
  await openTool(page, 'Counter')
  await expect(page.getByText('Record the tempo (111 BPM)')).toBeVisible()
  await openTool(page, 'Metronome')
  await expect(page.getByTestId('metronome-state')).toHaveText('Playing at 111 BPM')
  await page.getByRole('heading', { level: 1 }).click()
  await page.locator('body').press('Space')
  await expect(page.getByTestId('metronome-state')).toHaveText('')

  await page.reload()
  await expect(page.getByTestId('bpm')).toHaveText('111')
  await expect(page.getByLabel('Time signature')).toHaveValue('7/8')
  await expect(page.getByTestId('accents').getByRole('button').nth(1)).toHaveAccessibleName('Beat 2: silent')

  // Trainer: +10 BPM every bar from 60 shows in the bar/tempo readout.
  await page.getByLabel('Change the tempo step by step').check()
  await page.getByLabel('Start tempo').fill('200')
  await page.getByLabel('Target tempo').fill('240')
  await page.getByLabel('Step (BPM)').fill('20')
  await page.getByLabel('Bars per step').fill('1')
  await page.getByRole('button', { name: 'Start', exact: true }).click()
  await expect(page.getByTestId('trainer-state')).toContainText('220 BPM', { timeout: 10_000 })
  await expect(page.getByTestId('trainer-state')).toContainText('240 BPM', { timeout: 10_000 })
  await page.getByRole('button', { name: 'Stop', exact: true }).click()
})

test('tuner: reads the note of a violin-like recording from the fake microphone', async ({ baseURL }, testInfo) => {
  // D4 twelve cents sharp, with harmonics and bow noise, written as the microphone's input.
  const truth = 440 * 2 ** ((-7 * 100 + 12) / 1200)
  const wav = testInfo.outputPath('violin-d4.wav')
  mkdirSync(testInfo.outputDir, { recursive: true })
  writeFileSync(wav, encodeWav(instrumentTone(truth, 4, 48000, { harmonics: [0.8, 1, 0.6, 0.45, 0.3, 0.2, 0.12], noise: 0.02, seed: 3 }), 48000))
  const base = config.projects![0].use!.launchOptions!
  const browser = await chromium.launch({ ...base, args: [...(base.args ?? []), `--use-file-for-fake-audio-capture=${wav}`] })
  try {
    const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } })
    await context.grantPermissions(['microphone'])
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
    await page.goto('/toolbox?tool=tuner')
    await page.getByRole('button', { name: 'Start tuner' }).click()
    await expect(page.getByTestId('tuner-note')).toHaveText('D4', { timeout: 15_000 })
    await expect
      .poll(async () => Number((await page.getByTestId('tuner-cents').textContent())!.replace(/[^\d+-]/g, '')), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(10)
    const cents = Number((await page.getByTestId('tuner-cents').textContent())!.replace(/[^\d+-]/g, ''))
    expect(cents).toBeLessThanOrEqual(14)
    await expect(page.getByTestId('tuner-steady')).toHaveText(/Steady/)
    // Solfège with flats, and the written note for a B♭ instrument (concert D is its E).
    await page.getByLabel('Note names').selectOption('solfege')
    await expect(page.getByTestId('tuner-note')).toHaveText('Re4')
    await page.getByLabel('Instrument in').selectOption('Bb')
    await expect(page.getByTestId('tuner-note')).toHaveText('Mi4')
    await page.getByLabel('Instrument in').selectOption('C')
    await page.getByLabel('Note names').selectOption('letter')
    await saveScreenshot(page, 'toolbox-tuner.png')
    await page.getByRole('button', { name: 'Stop tuner' }).click()
    expect(errors).toEqual([])
  } finally {
    await browser.close()
  }
})

test('drone keeps sounding on another page; the circle of fifths names and plays keys', async ({ page }) => {
  await page.goto('/toolbox?tool=drone')
  await page.getByRole('button', { name: 'A', exact: true }).click()
  await page.getByLabel('Octave').selectOption('3')
  await page.getByLabel('Add the fifth').check()
  await page.getByRole('button', { name: 'Play drone' }).click()
  await expect(page.getByTestId('drone-state')).toHaveText('Sounding: A3 (220.0 Hz)')
  await saveScreenshot(page, 'toolbox-drone.png')
  await page.getByRole('link', { name: 'Logbook' }).filter({ visible: true }).first().click()
  await expect(page.getByRole('heading', { level: 1, name: 'Logbook' })).toBeVisible()
  await page.getByRole('link', { name: 'Toolbox' }).filter({ visible: true }).first().click()
  await openTool(page, 'Drone')
  await expect(page.getByTestId('drone-state')).toHaveText('Sounding: A3 (220.0 Hz)')
  await page.getByRole('button', { name: 'Stop drone' }).click()
  await expect(page.getByTestId('drone-state')).toHaveText('')

  await openTool(page, 'Circle of fifths')
  await page.getByRole('button', { name: 'E♭', exact: true }).click()
  await expect(page.getByTestId('circle-selected')).toHaveText('E♭ major · C minor · 3♭')
  await expect(page.getByTestId('circle-scale')).toHaveText('E♭ F G A♭ B♭ C D')
  await expect(page.getByTestId('circle-chords')).toContainText('Fm')
  await saveScreenshot(page, 'toolbox-circle.png')
})

test('presets sync across devices and open from the piece; the counter logs repetitions with the tempo', async ({ browser, request, baseURL }) => {
  test.setTimeout(90_000)
  const email = uniqueEmail('toolbox')
  const first = await (await browser.newContext()).newPage()
  const second = await (await browser.newContext()).newPage()
  await signIn(first, request, baseURL!, email)
  await signIn(second, request, baseURL!, email)

  await first.goto('/repertoire')
  await addPiece(first, 'Partita No. 2', 'Bach')

  await first.goto('/toolbox?tool=metronome')
  await first.getByLabel('Time signature').selectOption('12/8')
  await first.getByRole('heading', { level: 1 }).click()
  for (let i = 0; i < 8; i += 1) await first.locator('body').press('ArrowDown')
  await expect(first.getByTestId('bpm')).toHaveText('92')
  await first.getByLabel('Preset name').fill('Gigue slow')
  await first.getByLabel('For the piece').selectOption({ label: 'Partita No. 2 — Bach' })
  await first.getByRole('button', { name: 'Save preset' }).click()
  await expect(first.getByTestId('presets')).toContainText('Gigue slow')
  await expectSynced(first)

  // The other device sees the preset, and opens it from the piece's page.
  await second.goto('/repertoire')
  await second.getByRole('link', { name: 'Partita No. 2 — Bach' }).click()
  await second.getByRole('link', { name: 'Metronome preset' }).click()
  await expect(second.getByTestId('preset-message')).toHaveText('Preset “Gigue slow” loaded.', { timeout: 15_000 })
  await expect(second.getByTestId('bpm')).toHaveText('92')
  await expect(second.getByLabel('Time signature')).toHaveValue('12/8')

  // Repetitions are counted per piece and logged with the tempo.
  await second.goto('/repertoire')
  await second.getByRole('link', { name: 'Partita No. 2 — Bach' }).click()
  await second.getByRole('link', { name: 'Practice counter' }).click()
  for (let i = 0; i < 3; i += 1) await second.getByRole('button', { name: 'Count one' }).click()
  await expect(second.getByTestId('counter')).toHaveText('Repetitions: 3')
  await second.getByRole('combobox', { name: /^Piece/ }).selectOption('')
  await expect(second.getByTestId('counter')).toHaveText('Repetitions: 0')
  await second.getByRole('combobox', { name: /^Piece/ }).selectOption({ label: 'Partita No. 2 — Bach' })
  await expect(second.getByTestId('counter')).toHaveText('Repetitions: 3')
  await saveScreenshot(second, 'toolbox-counter.png')
  await second.getByRole('button', { name: 'Log repetitions' }).click()
  await expect(second.getByTestId('counter-logged')).toBeVisible()
  await expect(second.getByTestId('counter')).toHaveText('Repetitions: 0')
  await second.getByRole('link', { name: 'Logbook', exact: true }).filter({ visible: true }).first().click()
  await expect(second.getByTestId('entry').filter({ hasText: '3 repetitions at 92 BPM' })).toBeVisible()
  await first.context().close()
  await second.context().close()
})

test('every tool: keyboard tabs, no serious axe violation', async ({ page }) => {
  await page.goto('/toolbox')
  await page.getByRole('tab', { name: 'Metronome', exact: true }).focus()
  await page.keyboard.press('ArrowRight')
  await expect(page.getByRole('tab', { name: 'Tuner', exact: true })).toBeFocused()
  await expect(page.getByRole('tab', { name: 'Tuner', exact: true })).toHaveAttribute('aria-selected', 'true')
  for (const tool of TOOLS) {
    await openTool(page, tool)
    await expectAccessible(page, tool)
  }
})

test.describe('phone width', () => {
  test.use({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true })

  test('every tool fits a 375 px screen', async ({ page }) => {
    await page.goto('/toolbox')
    for (const tool of TOOLS) {
      await openTool(page, tool)
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
      expect(overflow, tool).toBeLessThanOrEqual(0)
      await expectAccessible(page, `${tool} on a phone`)
    }
    await openTool(page, 'Metronome')
    await saveScreenshot(page, 'toolbox-phone.png')
  })
})
