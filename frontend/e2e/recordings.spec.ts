import { expectSynced, logEntry, signIn, uniqueEmail } from './app'
import { expect, saveScreenshot, test } from './fixtures'

test('a take recorded with the timer is attached to its entry, uploaded, and plays on another device', async ({ browser, request, baseURL }) => {
  const email = uniqueEmail('recording')
  const first = await (await browser.newContext()).newPage()
  await signIn(first, request, baseURL!, email)

  const timer = first.getByRole('region', { name: 'Practice timer' })
  await timer.getByRole('button', { name: 'Start timer' }).click()
  const clickedRecord = Date.now()
  await timer.getByRole('button', { name: 'Record' }).click()
  await expect(timer.getByTestId('level-meter')).toBeVisible()
  // The fake microphone beeps: the meter moves while recording.
  await expect.poll(async () => Number(await timer.getByTestId('level-meter').getAttribute('value'))).toBeGreaterThan(0)
  await saveScreenshot(first, 'recording.png')
  await first.waitForTimeout(3_000)
  await timer.getByRole('button', { name: 'Finish and log' }).click()
  // The take lasts from the recorder's start to the finish: at least the 3 s waited, at most the
  // time since Record was pressed (the screenshot above adds to it on a busy machine).
  const upTo = Math.ceil((Date.now() - clickedRecord) / 1000)
  const ready = first.getByRole('status').filter({ hasText: /Recording of \d+ s ready/ })
  await expect(ready).toBeVisible()
  const seconds = Number(/Recording of (\d+) s/.exec((await ready.textContent()) ?? '')?.[1])
  expect(seconds).toBeGreaterThanOrEqual(3)
  expect(seconds).toBeLessThanOrEqual(upTo)

  const notes = `recorded ${Date.now()}`
  await logEntry(first, { minutes: 1, notes })
  const entry = first.getByTestId('entry').filter({ hasText: notes })
  await expect(entry.getByTestId('recording-player')).toHaveCount(1)
  // Uploaded: the device's copy is replaced by the server's document, waveform included.
  await expect(entry.getByText('Waiting to upload')).toHaveCount(0, { timeout: 15_000 })
  await expect(entry.getByTestId('waveform').locator('span')).not.toHaveCount(0)
  await expectSynced(first)
  await saveScreenshot(first, 'recording-entry.png')

  const second = await (await browser.newContext()).newPage()
  await signIn(second, request, baseURL!, email)
  const there = second.getByTestId('entry').filter({ hasText: notes })
  const player = there.getByTestId('recording-player')
  await expect(player).toBeVisible({ timeout: 15_000 })
  await player.getByRole('button', { name: 'Play recording' }).click()
  await expect(player.getByRole('button', { name: 'Pause' })).toBeVisible()
  await expect.poll(() => player.locator('audio').evaluate((audio: HTMLAudioElement) => audio.currentTime)).toBeGreaterThan(0.5)

  // Seeking: a click near the end of the waveform moves the playhead there.
  await player.getByRole('button', { name: 'Pause' }).click()
  const waveform = player.getByTestId('waveform')
  const box = (await waveform.boundingBox())!
  await waveform.click({ position: { x: box.width * 0.9, y: box.height / 2 } })
  await expect.poll(() => player.locator('audio').evaluate((audio: HTMLAudioElement) => audio.currentTime)).toBeGreaterThan(2)
})
