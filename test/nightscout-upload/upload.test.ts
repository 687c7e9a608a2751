// POST /api/v1/entries with real uploaders' payload shapes (payloads.ts), over real HTTP into the real database.
import t from 'tap'
import { startApp } from '../helpers.js'
import { jugglucoBody, libreLinkUpBody, localIso, slots, valueAt, xdripBody } from './payloads.js'
import { createSite, get, ns, storedUploads, upload } from './support.js'

t.test('an xDrip+ upload (sgv, mbg and cal in one array) stores the sgv entries and answers them as Nightscout does', async (t) => {
  const app = await startApp(t)
  const site = await createSite(app)
  const times = slots(12)
  const res = await upload(site, xdripBody(times, { withMeterAndCalibration: true }))
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-rejected-entries'), null)
  t.equal(res.body.length, 12, 'the stored sgv entries, not the meter and calibration ones')
  t.match(res.body[11], { type: 'sgv', sgv: valueAt(11), date: times[11], dateString: new Date(times[11]!).toISOString(), direction: 'FortyFiveUp', trend: 3, device: 'xDrip-DexcomG6' })
  t.match(res.body[11]._id, /^[0-9a-f]{24}$/)

  const stored = await storedUploads(app.db, site.user.id)
  t.same(stored.map((r) => r.ms), times)
  t.same(stored.map((r) => r.value), times.map((_, i) => valueAt(i)))
  t.same(stored.slice(0, 2).map((r) => r.trend), ['flat', 'fortyFiveUp'])

  const me = await site.user.request('GET', '/api/v1/me/nightscout-upload')
  t.match(me.body, { enabled: true, siteId: site.siteId, baseUrl: site.baseUrl })
  t.match(me.body.lastUpload, { received: 14, inserted: 12, updated: 0, unchanged: 0, rejected: 0, ignored: { mbg: 1, cal: 1 }, problems: [] })
})

t.test('a Juggluco upload (dateString with +01:00, sensor name as device) round-trips through GET', async (t) => {
  const app = await startApp(t)
  const site = await createSite(app)
  const times = slots(30)
  const res = await upload(site, jugglucoBody(times))
  t.equal(res.status, 200)
  t.equal(res.body.length, 30)
  const newest = await get(site, '/api/v1/entries.json?count=1')
  t.equal(newest.status, 200)
  t.same(newest.body.map((e: { date: number }) => e.date), [times[29]])
  t.match(newest.body[0], { sgv: valueAt(29), direction: 'SingleDown', device: '3MH00ABCDEF', dateString: new Date(times[29]!).toISOString() })
})

t.test('nightscout-librelink-up: newest first, history without direction, and a base URL without the site path', async (t) => {
  const app = await startApp(t)
  const site = await createSite(app)
  // nightscout-librelink-up builds new URL("/api/v1/entries", NIGHTSCOUT_URL): the path is dropped, only the host
  // stays. The secret alone finds the site.
  const before = await ns(app.url, 'GET', '/api/v1/entries?count=1', { apiSecret: site.apiSecretSha1 })
  t.same([before.status, before.body], [200, []], 'an empty site answers []')
  const times = slots(8)
  const res = await ns(app.url, 'POST', '/api/v1/entries', { body: libreLinkUpBody(times), apiSecret: site.apiSecretSha1 })
  t.equal(res.status, 200)
  const stored = await storedUploads(app.db, site.user.id)
  t.same(stored.map((r) => r.ms), times)
  t.same(stored.map((r) => r.trend), [null, null, null, null, null, null, null, 'fortyFiveDown'])
  const after = await ns(app.url, 'GET', '/api/v1/entries?count=1', { apiSecret: site.apiSecretSha1 })
  t.equal(new Date(after.body[0].dateString).getTime(), times[7], 'what it reads back as the newest uploaded reading')
  t.equal(after.body[0].direction, 'FortyFiveDown')
})

t.test('one object instead of an array, charset in the content type, and numeric trends', async (t) => {
  const app = await startApp(t)
  const site = await createSite(app)
  const [a, b, c] = slots(3)
  const one = await upload(site, { type: 'sgv', sgv: 140, date: a, dateString: new Date(a!).toISOString(), direction: 'Flat' }, { contentType: 'application/json; charset=utf-8' })
  t.equal(one.status, 200)
  t.equal(one.body.length, 1)
  // A Share bridge: trend beside direction (direction wins), and trend alone, even as text.
  const coded = await upload(site, [
    { type: 'sgv', sgv: 150, date: b, trend: 2, direction: 'SingleUp' },
    { type: 'sgv', sgv: 160, date: c, trend: '7' },
  ], { contentType: 'text/plain' })
  t.equal(coded.status, 200)
  t.same(coded.body.map((e: { direction: string; trend: number }) => [e.direction, e.trend]), [['SingleUp', 2], ['DoubleDown', 7]])
  t.same((await storedUploads(app.db, site.user.id)).map((r) => [r.value, r.trend]), [[140, 'flat'], [150, 'singleUp'], [160, 'doubleDown']])
})

t.test('an empty body (Content-Length: 0) is an empty upload, a body that is not JSON a 400 in Nightscout form', async (t) => {
  const app = await startApp(t)
  const site = await createSite(app)
  const empty = await upload(site, undefined, { raw: '' })
  t.same([empty.status, empty.body], [200, []])
  const broken = await upload(site, undefined, { raw: '[{"type":"sgv",' })
  t.equal(broken.status, 400)
  t.match(broken.body, { status: 400, message: /the body is not JSON/ })
})

t.test('bad entries are reported with index and field; the valid ones are stored and the answer is 200', async (t) => {
  const app = await startApp(t)
  const site = await createSite(app)
  const times = slots(7)
  const body = jugglucoBody(times) as Record<string, unknown>[]
  body[1]!.sgv = 700
  body[2]!.sgv = 5 // a Dexcom status code passed through by an uploader
  delete body[3]!.date
  body[3]!.dateString = '2025-13-45 bad'
  body[4]!.date = Math.floor(times[4]! / 1000) // seconds, not milliseconds
  body[5]!.date = Date.now() + 3_600_000 // an hour ahead: a phone with a wrong clock
  const res = await upload(site, body)
  t.equal(res.status, 200, 'uploaders re-send any batch answered otherwise, forever')
  t.same(res.body.map((e: { date: number }) => e.date), [times[0], times[6]])
  t.equal(res.headers.get('x-rejected-entries'), '5')
  const detail = JSON.parse(res.headers.get('x-rejected-entries-detail')!)
  t.same(detail.map((p: { index: number; field: string }) => [p.index, p.field]), [[1, 'sgv'], [2, 'sgv'], [3, 'dateString'], [4, 'date'], [5, 'date']])
  t.match(detail[0].message, /700 is above 600 mg\/dL/)
  t.match(detail[1].message, /status codes/)
  t.match(detail[3].message, /seconds/)
  t.match(detail[4].message, /in the future/)
  t.same((await storedUploads(app.db, site.user.id)).map((r) => r.ms), [times[0], times[6]])
  const me = await site.user.request('GET', '/api/v1/me/nightscout-upload')
  t.match(me.body.lastUpload, { received: 7, inserted: 2, rejected: 5 })
  t.same(me.body.lastUpload.problems.map((p: { index: number }) => p.index), [1, 2, 3, 4, 5])
})

t.test('a re-upload of the last 24 h creates no duplicates; a revised value updates in place', async (t) => {
  const app = await startApp(t)
  const site = await createSite(app)
  const times = slots(288)
  const first = await upload(site, xdripBody(times))
  t.equal(first.status, 200)
  const again = xdripBody(times)
  again[100]!.sgv = 222
  // The same readings re-sent with millisecond jitter and the other offset style are still the same readings.
  for (const e of again) e.dateString = localIso((e.date as number) + 7, 60, true)
  for (const e of again) e.date = (e.date as number) + 7
  const second = await upload(site, again)
  t.equal(second.status, 200)
  const stored = await storedUploads(app.db, site.user.id)
  t.equal(stored.length, 288)
  t.equal(stored[100]!.value, 222)
  const me = await site.user.request('GET', '/api/v1/me/nightscout-upload')
  t.match(me.body.lastUpload, { received: 288, inserted: 0, updated: 1, unchanged: 287 })
})
