// Driving /app in a browser page: sign-in by token (as the sign-in form would store it), and waiting until the
// dashboard has loaded everything it fetches, so screenshots and assertions see the finished page.
import type { Browser, Page } from 'playwright-core'

export interface AppPage extends Page {
  /** Console errors and Content-Security-Policy violations seen so far (none expected). */
  problems: string[]
}

export async function openApp(browser: Browser, base: string, token: string | null, viewport: { width: number; height: number }, scale = 1): Promise<AppPage> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: scale, timezoneId: 'UTC', locale: 'en-GB' })
  // sessionStorage is where the sign-in form keeps the token; set before the page's own script runs.
  if (token) await context.addInitScript((t) => sessionStorage.setItem('glucose.token', t), token)
  const page = (await context.newPage()) as AppPage
  page.problems = []
  page.on('console', (message) => { if (message.type() === 'error') page.problems.push(message.text()) })
  page.on('pageerror', (error) => page.problems.push(error.message))
  await page.goto(`${base}/app`)
  return page
}

/** Until the current reading, both charts (or their placeholders), the meal scores and the insights are shown. */
export async function waitForDashboard(page: Page) {
  await page.locator('#dashboard').waitFor()
  // Runs in the page. No named inner functions: tsx would wrap them in a helper (__name) the page lacks, and the
  // page's CSP refuses string evaluation. No DOM types in this project's lib, hence the any.
  await page.waitForFunction(() => {
    const d = (globalThis as any).document
    return d.getElementById('now-age').textContent !== ''
      && ['trend-chart', 'agp-chart'].every((id) => d.querySelector(`#${id} img, #${id} .placeholder`) !== null)
      && [...d.querySelectorAll('#dashboard img')].every((i: any) => i.complete)
      && ![...d.querySelectorAll('#meals .score')].some((s: any) => s.textContent === '…')
      && d.getElementById('insights').childElementCount > 0
      && d.getElementById('connections').childElementCount > 0
  }, undefined, { timeout: 30_000 })
}
