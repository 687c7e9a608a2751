// `npm run readme-pictures`: the README's pictures, from the demo data. Starts the app in-process on a free port
// (migrating the database first, as `npm start` does), seeds the demo user (src/demo/seed-demo.ts: idempotent),
// signs in on /app in headless Chromium at phone and desktop widths, and renders the three SVG charts to PNG.
// Writes docs/images/*.png and prints each file's size. Not a test: run it by hand when the view changes.
import { writeFile } from 'node:fs/promises'
import type { Browser, Page } from 'playwright-core'
import { buildApp } from '../../src/app.js'
import { signToken } from '../../src/auth/sign-token.js'
import { loadConfig } from '../../src/config.js'
import { DEMO_USER_ID, seedDemo } from '../../src/demo/seed-demo.js'
import { chromiumInstalled, CHROMIUM, launchChromium } from './browser.js'
import { openApp, waitForDashboard } from './page.js'

const OUT = new URL('../../docs/images/', import.meta.url)

if (!chromiumInstalled()) {
  console.error(`${CHROMIUM} is missing: apt-get install -y chromium`)
  process.exit(2)
}
const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn', SYNC_WORKER: 'false' })
const app = await buildApp(config)
let browser: Browser | undefined
try {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  await seedDemo(app.db)
  const token = signToken(config, DEMO_USER_ID, 3600)
  browser = await launchChromium()
  const written: string[] = []
  const save = async (name: string, png: Buffer) => {
    const path = new URL(name, OUT).pathname
    await writeFile(path, png)
    written.push(`${path} ${(png.length / 1024).toFixed(0)} KB`)
  }

  // Phone: the first screen, as a person sees it on opening the app. Desktop: the whole dashboard with a meal open.
  const phone = await openApp(browser, base, token, { width: 390, height: 844 }, 2)
  await waitForDashboard(phone)
  await save('web-phone.png', await phone.screenshot({ type: 'png' }))
  const desktop = await openApp(browser, base, token, { width: 1280, height: 1000 }, 1)
  await waitForDashboard(desktop)
  await openMeal(desktop)
  // The first screen only: the whole page is over 300 KB, and the AGP has a picture of its own.
  await save('web-desktop.png', await desktop.screenshot({ type: 'png' }))

  // The charts alone, at their default sizes, through the API as any client would fetch them.
  const meal = await desktop.locator('#meals details[open]').getAttribute('data-meal')
  const charts: Array<[string, string]> = [
    ['chart-agp.png', '/api/v1/glucose/agp.svg'],
    ['chart-trend.png', '/api/v1/glucose/trend.svg'],
    ['chart-meal-response.png', `/api/v1/glucose/meal-response/${meal}.svg`],
  ]
  const canvas = await (await browser.newContext({ viewport: { width: 1000, height: 700 } })).newPage()
  for (const [name, path] of charts) {
    const res = await fetch(base + path, { headers: { authorization: `Bearer ${token}` } })
    if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`)
    const svg = Buffer.from(await res.arrayBuffer()).toString('base64')
    await canvas.setContent(`<body style="margin:0;background:#fff"><img id="chart" src="data:image/svg+xml;base64,${svg}"></body>`)
    await canvas.locator('#chart').waitFor()
    await canvas.waitForFunction(() => (globalThis as any).document.getElementById('chart').complete === true)
    await save(name, await canvas.locator('#chart').screenshot({ type: 'png' }))
  }
  console.log(written.join('\n'))
} finally {
  await browser?.close()
  await app.close()
}

/** A meal with a visible rise (a "fair" score), to show a response worth looking at. */
async function openMeal(page: Page) {
  const first = page.locator('#meals details', { has: page.locator('.score.fair') }).first()
  await first.locator('summary').click()
  await first.locator('.metrics').waitFor()
  await first.locator('figure img, figure .placeholder').first().waitFor()
}
