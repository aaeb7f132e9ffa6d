import { defineConfig } from '@playwright/test'

// Browser end-to-end tests against a running Mirubato stack (e.g. `cargo xtask dev`).
// Chromium comes from the system (`/usr/bin/chromium`); `npx playwright install` is not used.
const baseURL = process.env.MIRUBATO_BASE_URL
if (!baseURL) {
  throw new Error(
    'MIRUBATO_BASE_URL is not set. Point it at a running Mirubato frontend, e.g.\n' +
      '  MIRUBATO_BASE_URL=http://localhost:4000 npm run e2e -w frontend',
  )
}

export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results',
  workers: 1,
  retries: 0,
  fullyParallel: false,
  forbidOnly: true,
  reporter: 'list',
  timeout: 30_000,
  expect: { timeout: 5_000 },
  use: {
    baseURL,
    screenshot: 'only-on-failure',
    trace: 'off',
    video: 'off',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        viewport: { width: 1280, height: 800 },
        launchOptions: {
          executablePath: process.env.MIRUBATO_CHROMIUM ?? '/usr/bin/chromium',
          headless: true,
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-dev-shm-usage',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
            '--disable-quic',
            // A synthetic microphone (a beep) granted without a prompt, for the recording tests.
            '--use-fake-device-for-media-stream',
            '--use-fake-ui-for-media-stream',
          ],
        },
      },
    },
  ],
})
