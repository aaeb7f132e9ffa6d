// Metronome timing benchmark: renders the app's metronome with an OfflineAudioContext in
// Chromium (playwright-core, the system /usr/bin/chromium) and measures each click's onset
// against the ideal grid. Writes the figures into docs/PERFORMANCE.md (section
// bench:metronome). A report, never a pass/fail test.
//   npm run bench:metronome -w frontend
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { build } from 'vite'

const here = (path) => fileURLToPath(new URL(path, import.meta.url))

const bundle = await build({
  configFile: false,
  logLevel: 'warn',
  build: {
    write: false,
    minify: false,
    lib: { entry: here('./metronome-entry.ts'), formats: ['iife'], name: 'MetronomeBench', fileName: 'bench' },
  },
})
const code = (Array.isArray(bundle) ? bundle[0] : bundle).output[0].code

const scenarios = [
  { name: '4/4, 120 BPM, wood block', bpm: 120, meter: '4/4', subdivision: 'none', voice: 'wood', sampleRate: 48000, seconds: 60 },
  { name: '4/4, 120 BPM, beep, 44.1 kHz', bpm: 120, meter: '4/4', subdivision: 'none', voice: 'beep', sampleRate: 44100, seconds: 60 },
  { name: '7/8, 137 BPM, triplets (clicks off the sample grid)', bpm: 137, meter: '7/8', subdivision: 'triplets', voice: 'clave', sampleRate: 48000, seconds: 60 },
]

const browser = await chromium.launch({
  executablePath: process.env.MIRUBATO_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
})
const results = []
try {
  const page = await browser.newPage()
  await page.setContent('<!doctype html><title>bench</title>')
  await page.addScriptTag({ content: code })
  for (const scenario of scenarios) {
    const result = await page.evaluate((s) => globalThis.MetronomeBench.run(s), scenario)
    results.push(result)
    console.log(JSON.stringify(result))
  }
} finally {
  await browser.close()
}

const ms = (v) => (v < 0.01 ? v.toFixed(4) : v.toFixed(3))
const cpu = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU'
const section = [
  '<!-- bench:metronome -->',
  '## Metronome timing',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB memory, Chromium ${browser.version()}, by \`npm run bench:metronome -w frontend\` (\`frontend/bench/metronome.mjs\`).`,
  'The app\'s metronome (`src/lib/metronome.ts`) renders 60 s into an `OfflineAudioContext` while its own look-ahead scheduler runs every 25 ms of audio time (the render is suspended and resumed there), queuing each click as an `AudioBufferSourceNode` started at its time on the audio clock. Each click\'s onset (the first non-silent sample after 5 ms of silence) is compared with the ideal grid; the constant offset (the click sample\'s first audible sample) is removed, and what remains is the jitter.',
  '',
  '| scenario | clicks found / planned | jitter median | p99 | max | max (samples) | drift over 60 s |',
  '|---|---|---|---|---|---|---|',
  ...results.map((r) => `| ${r.scenario.name} | ${r.clicks} / ${r.expected} | ${ms(r.medianMs)} ms | ${ms(r.p99Ms)} ms | ${ms(r.maxMs)} ms | ${r.maxSamples.toFixed(2)} | ${ms(r.driftMs)} ms |`),
  '',
  `Goal: under 1 ms (sample-accurate). ${results.every((r) => r.maxMs < 1 && r.clicks === r.expected) ? 'Met in every scenario: each click starts on the sample the grid puts it on (within the rounding of a time that falls between samples).' : 'NOT met in every scenario: see the table.'}`,
  'On a live `AudioContext` the same clicks are queued the same way; main-thread timer delays only change how early a click is queued (up to the 120 ms look-ahead), never when it sounds.',
  '',
  '<!-- /bench:metronome -->',
].join('\n')

const docPath = here('../../docs/PERFORMANCE.md')
const doc = readFileSync(docPath, 'utf8')
const pattern = /<!-- bench:metronome -->[\s\S]*?<!-- \/bench:metronome -->/
writeFileSync(docPath, pattern.test(doc) ? doc.replace(pattern, section) : `${doc.trimEnd()}\n${section}\n`)
console.log(`wrote ${docPath}`)
