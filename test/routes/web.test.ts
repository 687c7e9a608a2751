// The web view's files over real HTTP (types, the app's CSP, revalidation) and the OAuth callback's two answers:
// JSON to API clients, a redirect to /app with a fixed outcome code to a browser navigation.
import { request as httpRequest } from 'node:http'
import t from 'tap'
import { startApp } from '../helpers.js'

t.test('web view files', async (t) => {
  const app = await startApp(t)

  const page = await fetch(`${app.url}/app`)
  t.equal(page.status, 200)
  t.equal(page.headers.get('content-type'), 'text/html; charset=utf-8')
  const html = await page.text()
  t.match(html, '<script type="module" src="/app/app.js"></script>')
  t.notMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script')
  t.notMatch(html, /\sstyle=|\son[a-z]+=/i, 'no inline styles or handlers')
  t.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/, 'served under the app-wide CSP')

  for (const [path, type] of <Array<[string, string]>>[['/app/app.js', 'text/javascript'], ['/app/app.css', 'text/css'], ['/app/icon.svg', 'image/svg+xml']]) {
    const res = await fetch(app.url + path)
    t.equal(res.status, 200, path)
    t.match(res.headers.get('content-type') ?? '', type, `${path} type`)
    t.equal(res.headers.get('cache-control'), 'no-cache', `${path} revalidated`)
    const again = await fetch(app.url + path, { headers: { 'if-none-match': res.headers.get('etag')! } })
    t.equal(again.status, 304, `${path}: unchanged is 304`)
  }
  const script = await (await fetch(`${app.url}/app/app.js`)).text()
  t.notMatch(script, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/, 'the script never parses server text as HTML')
  t.equal((await fetch(`${app.url}/app/../package.json`)).status, 404, 'nothing else is served')
  const root = await fetch(`${app.url}/`, { redirect: 'manual' })
  t.same([root.status, root.headers.get('location')], [302, '/app'])
})

t.test('OAuth callback: JSON for API clients, back to /app for a browser', async (t) => {
  const app = await startApp(t)
  const state = 'B'.repeat(43) // well-formed, never issued
  const path = `/api/v1/connections/dexcom/callback?state=${state}&code=x&error_description=see+evil.example`

  const api = await fetch(app.url + path)
  t.equal(api.status, 400, 'an API client gets the error as before')
  t.match(((await api.json()) as { message: string }).message, /unknown, expired or already used state/)

  const browser = await get(app.url + path, { 'sec-fetch-mode': 'navigate', accept: 'text/html' })
  t.same(browser, { status: 303, location: '/app?connect=dexcom&result=declined' }, 'fixed path, fixed code, nothing from the request')
  const old = await get(app.url + path, { accept: 'text/html,application/xhtml+xml' })
  t.same(old, { status: 303, location: '/app?connect=dexcom&result=declined' }, 'browsers without Sec-Fetch-* are recognised by Accept')
  const fromPage = await get(app.url + path, { 'sec-fetch-mode': 'cors', accept: 'text/html' })
  t.same(fromPage, { status: 400, location: undefined }, 'a fetch from a page is an API call')
  const unknown = await get(`${app.url}/api/v1/connections/acme/callback?state=${state}&code=x`, { 'sec-fetch-mode': 'navigate' })
  t.same(unknown, { status: 303, location: '/app?connect=acme&result=declined' })
})

/** node:http, not fetch: fetch sets Sec-Fetch-Mode itself (cors), whatever the caller asks for. */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { headers }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location }))
    }).on('error', reject).end()
  })
}
