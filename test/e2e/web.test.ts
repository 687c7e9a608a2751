// The web view end to end in headless Chromium (Debian's package, see browser.ts): sign in with a token through
// the form, see the current glucose, open a meal's response card, connect the Dexcom simulator through the real
// OAuth redirect (browser → simulator login → our callback → back on /app), sync it from the page, and land back
// on /app from a failed login too. Runs under the app's real Content-Security-Policy; any console error or CSP
// violation fails. Screenshots go to test-artifacts/e2e/ (git-ignored).
import t from 'tap'
import { seedDemo } from '../../src/demo/seed-demo.js'
import { startDexcomSimulator } from '../../src/simulators/dexcom/index.js'
import { SANDBOX_USERS } from '../../src/simulators/dexcom/users.js'
import { startApp } from '../helpers.js'
import { artifactPath, CHROMIUM, chromiumInstalled, launchChromium } from './browser.js'
import { openApp, waitForDashboard } from './page.js'

const ARROWS: Record<string, string> = { doubleUp: '⇈', singleUp: '↑', fortyFiveUp: '↗', flat: '→', fortyFiveDown: '↘', singleDown: '↓', doubleDown: '⇊' }

if (!chromiumInstalled()) {
  // Locally a missing browser is a setup gap, said loudly; in CI it is a failure (.ci/run installs the package).
  if (process.env.CI) t.fail(`${CHROMIUM} is missing in CI: .ci/run should have installed Debian's chromium package`)
  else t.test('web view in headless Chromium', { skip: `${CHROMIUM} is missing: apt-get install -y chromium to run it` }, async () => {})
} else {
  // A browser and a page load per step on two shared cores: more than the suite's 120 s per file when busy.
  t.setTimeout(300_000)
  t.test('web view: sign in, current glucose, a meal response, connect Dexcom through OAuth', async (t) => {
    const sim = await startDexcomSimulator({ users: SANDBOX_USERS.slice(0, 1).map((u) => ({ ...u, historyDays: 2 })) })
    t.teardown(() => sim.close())
    const dexcom = { clientId: 'sim-client-id', clientSecret: 'sim-client-secret', redirectUri: 'http://127.0.0.1:9/unset', baseUrl: sim.baseUrl }
    const app = await startApp(t, { dexcom })
    // The callback's address is known only once the app listens; the Dexcom provider reads it on each request.
    app.config.dexcom.redirectUri = `${app.url}/api/v1/connections/dexcom/callback`
    const user = app.newUser()
    t.equal((await user.request('GET', '/api/v1/me')).status, 200, 'the user exists')
    const seeded = await seedDemo(app.db, { userId: user.id, days: 3, timezone: 'UTC' })
    t.ok(seeded.readings.inserted > 800 && seeded.mealsAdded >= 6, `seeded ${seeded.readings.inserted} readings, ${seeded.mealsAdded} meals`)

    const browser = await launchChromium()
    t.teardown(() => browser.close())
    const page = await openApp(browser, app.url, null, { width: 390, height: 844 })
    const shots: string[] = []
    const shot = async (name: string, fullPage = false) => {
      const path = await artifactPath(name)
      await page.screenshot({ path, fullPage })
      shots.push(path)
    }

    // Sign in with the pasted token, as a person would.
    await page.locator('#sign-in').waitFor()
    await page.locator('#token').fill(`Bearer ${user.token}`)
    await page.locator('#sign-in-form button[type=submit]').click()
    await waitForDashboard(page)
    t.equal(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('glucose.token')), user.token, 'token kept in sessionStorage, "Bearer " dropped')

    const latest = (await user.request('GET', '/api/v1/glucose/latest')).body
    t.equal(await page.locator('#now-value').textContent(), String(latest.value), 'current glucose as the API reports it')
    t.equal(await page.locator('#now-unit').textContent(), 'mg/dL')
    t.equal(await page.locator('#now-arrow').textContent(), ARROWS[latest.trend] ?? '', `trend arrow for ${latest.trend}`)
    t.match(await page.locator('#now-age').textContent(), /^(just now|\d+ min ago) · /, 'age of the reading')
    for (const chart of ['trend-chart', 'agp-chart']) {
      const figure = page.locator(`#${chart}`)
      const width = await figure.evaluate((f: any) => f.querySelector('img')?.naturalWidth ?? 0)
      t.ok(width >= 320, `${chart}: the SVG is shown (${width} px wide)`, { shown: await figure.textContent() })
    }
    await shot('phone-dashboard.png')

    // A meal's response card: the score in the list and in the card are the API's.
    const meal = page.locator('#meals details').first()
    const mealId = await meal.getAttribute('data-meal')
    const response = (await user.request('GET', `/api/v1/meals/${mealId}/response`)).body
    t.equal(await meal.locator('.score').textContent(), String(response.score), 'score badge')
    await meal.locator('summary').click()
    await meal.locator('.metrics').waitFor()
    t.match(await meal.locator('.metrics').textContent(), `Score${response.score} / 100`)
    t.match(await meal.locator('.metrics').textContent(), `Baseline${Math.round(response.baselineMgDl)} mg/dL`)
    await meal.locator('figure img').waitFor()
    t.ok(await meal.locator('figure img').evaluate((img: any) => img.complete && img.naturalWidth > 0), 'meal response chart shown')
    await meal.scrollIntoViewIfNeeded()
    await shot('phone-meal-response.png')

    // Connect Dexcom: consent, then the real redirect chain through the simulator's login back to /app.
    await page.locator('#connect-dexcom').click()
    t.match(await page.locator('#settings .form-message').textContent(), /consent/, 'asks for consent first')
    await page.locator('#consent').check()
    const navigations: string[] = []
    page.on('request', (request) => { if (request.isNavigationRequest()) navigations.push(request.url().split('?')[0]!) })
    await page.locator('#connect-dexcom').click()
    await page.locator('#notice', { hasText: 'Dexcom connected' }).waitFor()
    t.same(navigations, [`${sim.baseUrl}/v2/oauth2/login`, `${app.url}/api/v1/connections/dexcom/callback`, `${app.url}/app`],
      'authorize URL → simulator login → callback → /app')
    t.equal(page.url(), `${app.url}/app`, 'the page drops the outcome from its address once shown')
    const row = page.locator('#connections li[data-connection=dexcom]')
    await row.waitFor()
    t.match(await row.locator('.status').textContent(), 'active')
    const [stored] = await app.db.sql<{ status: string }[]>`SELECT status FROM cgm_connections WHERE user_id = ${user.id} AND provider = 'dexcom'`
    t.equal(stored?.status, 'active', 'the connection is stored for this user')

    // Sync now from the page: the simulator's two days of readings arrive.
    await row.getByRole('button', { name: 'Sync now' }).click()
    await page.locator('#notice', { hasText: 'synced' }).waitFor()
    const synced = Number((await page.locator('#notice').textContent())!.match(/(\d+) new readings/)![1])
    t.ok(synced > 500, `synced ${synced} readings`)
    await page.locator('#connections li[data-connection=dexcom] .facts', { hasText: 'readings' }).waitFor()

    // A CSV export through the upload form (multipart, XMLHttpRequest with upload progress): a Levels file of
    // 2,000 readings a month back, one of them bad.
    const start = Date.now() - 30 * 86_400_000
    const csv = ['Levels,Test Person,,', 'Time (UTC),Time (Local),Glucose Reading (mg/dL),Type of Reading',
      ...Array.from({ length: 2000 }, (_, i) => `${new Date(start + i * 300_000).toISOString()},,${i === 7 ? 'abc' : 90 + (i % 40)},timeseries`)].join('\n')
    await page.locator('#import-form').evaluate((form: any) => { form.closest('details').open = true })
    await page.locator('#import-form input[type=file]').setInputFiles({ name: 'levels.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
    await page.locator('#import-form button[type=submit]').click()
    const result = page.locator('#import-result')
    await result.locator('p', { hasText: 'levels export' }).waitFor()
    t.match(await result.textContent(), 'levels export (UTC): 2,000 rows → 1,999 new, 0 updated, 0 already stored, 0 skipped.1 row rejected:line 10, Glucose Reading (mg/dL)')
    t.equal(await page.locator('#import-progress').evaluate((p: any) => p.value), 1, 'upload progress reached the whole file')
    await waitForDashboard(page)
    await page.setViewportSize({ width: 1280, height: 900 })
    // Charts drawn for the phone are drawn again for the wider space (not scaled up).
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#trend-chart img')?.naturalWidth > 600)
    await waitForDashboard(page)
    await shot('desktop-connected.png', true)

    // A failed login lands on /app too, with a fixed message (nothing from the request is shown).
    await page.goto(`${app.url}/api/v1/connections/dexcom/callback?state=${'A'.repeat(43)}&code=x&error_description=call+0800`)
    await page.waitForURL(`${app.url}/app`)
    t.match(await page.locator('#notice').textContent(), /^Dexcom not connected: the login was declined/)
    t.notMatch(await page.locator('body').textContent(), /0800/, 'provider text is not reflected')

    t.same(page.problems, [], 'no console errors or CSP violations')
    t.comment(`screenshots:\n${shots.join('\n')}`)
  })
}
