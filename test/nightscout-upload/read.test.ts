// GET /api/v1/entries with Nightscout's query language, status.json and verifyauth, as uploaders call them.
import t from 'tap'
import { startApp } from '../helpers.js'
import { slots, valueAt, xdripBody } from './payloads.js'
import { createSite, get, ns, upload } from './support.js'

const dates = (body: { date: number }[]) => body.map((e) => e.date)

t.test('entries: [] on an empty site, then count (default 10), newest first, and the find filters', async (t) => {
  const app = await startApp(t)
  const site = await createSite(app)
  for (const path of ['/api/v1/entries', '/api/v1/entries.json', '/api/v1/entries/sgv.json', '/api/v1/entries/current.json']) {
    const empty = await get(site, path)
    t.same([empty.status, empty.body], [200, []], `${path} on an empty site`)
  }
  const times = slots(30) // 2.5 h, oldest first
  t.equal((await upload(site, xdripBody(times))).status, 200)
  const newestFirst = [...times].reverse()

  const plain = await get(site, '/api/v1/entries.json')
  t.same(dates(plain.body), newestFirst.slice(0, 10), 'Nightscout answers 10 by default')
  t.equal(plain.headers.get('last-modified'), new Date(times[29]!).toUTCString())
  t.same(dates((await get(site, '/api/v1/entries?count=1')).body), [times[29]])
  t.same(dates((await get(site, '/api/v1/entries/current.json')).body), [times[29]])
  t.same(dates((await get(site, '/api/v1/entries/sgv.json?count=100')).body), newestFirst)
  t.same((await get(site, '/api/v1/entries/mbg.json')).body, [], 'meter entries are accepted on upload but not kept')

  const q = (filters: string) => get(site, `/api/v1/entries/sgv.json?count=100&${filters}`)
  t.same(dates((await q(`find[date][$gte]=${times[25]}`)).body), newestFirst.slice(0, 5))
  t.same(dates((await q(`find[date][$gt]=${times[25]}`)).body), newestFirst.slice(0, 4))
  t.same(dates((await q(`find[date][$gte]=${times[10]}&find[date][$lt]=${times[13]}`)).body), [times[12], times[11], times[10]])
  t.same(dates((await q(`find[date][$lte]=${times[1]}`)).body), [times[1], times[0]])
  const iso = encodeURIComponent(new Date(times[27]!).toISOString())
  t.same(dates((await q(`find[dateString][$gte]=${iso}`)).body), newestFirst.slice(0, 3))
  t.same(dates((await q(`find[sgv][$gte]=${valueAt(29)}&find[date][$gte]=${times[28]}`)).body), [times[29]], 'sgv filter')
  t.same((await q('find[type]=mbg')).body, [])

  const bad = await q('find[noise][$gte]=1')
  t.equal(bad.status, 400)
  t.match(bad.body, { status: 400, message: /find\[noise\] is not supported/ })
  t.match((await q('find[date][$gte]=yesterday')).body, { status: 400, message: /find\[date\]\[\$gte\]: "yesterday" is not epoch milliseconds/ })
  t.match((await get(site, '/api/v1/entries/foo.json')).body, { status: 404, message: /unknown entry type "foo"/ })
})

t.test('without a date condition only the last 4 days are searched, as in Nightscout', async (t) => {
  const app = await startApp(t)
  const site = await createSite(app)
  const old = slots(2, 5 * 24 * 60) // 5 days ago
  t.equal((await upload(site, xdripBody(old))).status, 200)
  t.same((await get(site, '/api/v1/entries.json')).body, [])
  t.same(dates((await get(site, `/api/v1/entries.json?find[date][$gte]=${old[0]}`)).body), [old[1], old[0]])
})

t.test('entries show only what this site received, never another user\'s readings', async (t) => {
  const app = await startApp(t)
  const [a, b] = [await createSite(app), await createSite(app)]
  const times = slots(3)
  await upload(a, xdripBody(times))
  // B's own readings through the bearer API are not uploads either: the site shows its uploads only.
  await b.user.request('POST', '/api/v1/glucose/readings', { readings: [{ time: new Date(times[2]!).toISOString(), value: 99 }] })
  t.same((await get(b, '/api/v1/entries.json')).body, [])
  t.equal((await get(a, '/api/v1/entries.json')).body.length, 3)
  // A's secret on B's site path is refused: the secret must match the site in the URL.
  const crossed = await ns(b.baseUrl, 'GET', '/api/v1/entries.json', { apiSecret: a.apiSecretSha1 })
  t.equal(crossed.status, 401)
})

t.test('status.json says ok with the user\'s unit; verifyauth answers 200 and says whether the secret is good', async (t) => {
  const app = await startApp(t)
  const site = await createSite(app)
  const status = await get(site, '/api/v1/status.json')
  t.equal(status.status, 200)
  t.match(status.body, { status: 'ok', name: 'nightscout', apiEnabled: true, careportalEnabled: false, settings: { units: 'mg/dl' } })
  t.ok(Math.abs(status.body.serverTimeEpoch - Date.now()) < 5_000)
  await site.user.request('PATCH', '/api/v1/me', { preferredUnit: 'mmol/L' })
  t.equal((await get(site, '/api/v1/status')).body.settings.units, 'mmol')

  const ok = await get(site, '/api/v1/verifyauth')
  t.same([ok.status, ok.body.message.message, ok.body.message.canWrite], [200, 'OK', true])
  const wrong = await ns(site.baseUrl, 'GET', '/api/v1/verifyauth', { apiSecret: 'f'.repeat(40) })
  t.same([wrong.status, wrong.body.message.message, wrong.body.message.canRead], [200, 'UNAUTHORIZED', false])
  t.same((await get(site, '/api/v1/experiments/test')).body, { status: 'ok' })
})
