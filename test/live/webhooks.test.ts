// Webhooks end to end: a local receiver, the real worker (pg-boss) on the test database, signatures verified with
// the documented recipe, retries after a 500, automatic disable, the test delivery.
import { createHmac } from 'node:crypto'
import { once } from 'node:events'
import http from 'node:http'
import t, { type Test } from 'tap'
import { CredentialCipher } from '../../src/providers/crypto.js'
import { startBoss } from '../../src/sync/queues.js'
import { startWebhookWorker, DEFAULT_WEBHOOK_OPTIONS } from '../../src/live/webhooks/worker.js'
import { startApp, type Running } from '../helpers.js'
import { silentLog, waitFor } from '../sync/support.js'
import { readingAt } from './support.js'

interface Received { headers: http.IncomingHttpHeaders; body: string; at: number }

async function receiver(t: Test) {
  const received: Received[] = []
  const answers: number[] = [] // status codes to answer, in order; 200 once they run out
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      received.push({ headers: req.headers, body, at: Date.now() })
      res.writeHead(answers.shift() ?? 200).end('ok')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}/hook`, received, answers }
}

// The recipe in README "Webhooks", written out independently of src/live/webhooks/signing.ts.
function verify(secret: string, body: string, header: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=')))
  if (Math.abs(Date.now() / 1000 - Number(parts.t)) > 300) return false
  return createHmac('sha256', secret).update(`${parts.t}.${body}`).digest('hex') === parts.v1
}

async function startWorker(t: Test, app: Running) {
  const boss = await startBoss(app.config, { supervise: false })
  const worker = await startWebhookWorker({
    boss, sql: app.db.sql, cipher: CredentialCipher.fromConfig(app.config.credentialKeys), log: silentLog,
    options: { ...DEFAULT_WEBHOOK_OPTIONS, retryDelaySeconds: 1, maxAttempts: 4, disableAfterFailures: 3, dispatchEveryMs: 100, allowPrivateHosts: true },
  })
  t.teardown(async () => {
    await worker.stop()
    await boss.stop({ graceful: false, timeout: 5_000 })
  })
}

t.test('webhooks', async (t) => {
  const app = await startApp(t)
  await startWorker(t, app)

  t.test('a reading is delivered, signed as documented; another user\'s is not', async (t) => {
    const hook = await receiver(t)
    const [user, other] = [app.newUser(), app.newUser()]
    const created = await user.request('POST', '/api/v1/webhooks', { url: hook.url, events: ['reading', 'alert'] })
    t.equal(created.status, 201)
    t.match(created.body, { url: hook.url, events: ['reading', 'alert'], enabled: true, secret: /^whsec_/ })
    const listed = await user.request('GET', '/api/v1/webhooks')
    t.same(Object.keys(listed.body.webhooks[0]).includes('secret'), false, 'the secret is shown once')
    await other.request('POST', '/api/v1/webhooks', { url: hook.url + '?other', events: ['meal-response'] })

    await other.request('POST', '/api/v1/glucose/readings', { readings: [readingAt(2, 99)] })
    await user.request('POST', '/api/v1/glucose/readings', { readings: [readingAt(1, 150)] })
    await waitFor(async () => (hook.received.length > 0 ? true : undefined), 10_000, 'a delivery')
    await new Promise((r) => setTimeout(r, 500))
    t.equal(hook.received.length, 1, 'one delivery: the other user\'s reading went nowhere')
    const [got] = hook.received
    const body = JSON.parse(got!.body)
    t.match(body, { type: 'reading', data: { value: 150, source: 'IMPORT', count: 1 } })
    t.match(got!.headers, { 'x-glucose-event': 'reading', 'content-type': 'application/json' })
    t.ok(verify(created.body.secret, got!.body, String(got!.headers['x-glucose-signature'])), 'the signature verifies')
    t.notOk(verify(created.body.secret, got!.body.replace('150', '151'), String(got!.headers['x-glucose-signature'])), 'a changed body does not')
    const log = await user.request('GET', `/api/v1/webhooks/${created.body.id}/deliveries`)
    t.match(log.body.deliveries, [{ event: 'reading', status: 'delivered', attempts: 1, statusCodes: [200], eventId: body.id }])
  })

  t.test('a 500 is retried with the same delivery id; repeated failures disable the webhook', async (t) => {
    const hook = await receiver(t)
    const user = app.newUser()
    const created = await user.request('POST', '/api/v1/webhooks', { url: hook.url, events: ['reading'] })
    hook.answers.push(500)
    await user.request('POST', '/api/v1/glucose/readings', { readings: [readingAt(1, 140)] })
    await waitFor(async () => (hook.received.length >= 2 ? true : undefined), 15_000, 'a retry')
    t.equal(hook.received[0]!.headers['x-glucose-delivery'], hook.received[1]!.headers['x-glucose-delivery'], 'same delivery id: receivers can dedupe')
    const log = await waitFor(async () => {
      const l = await user.request('GET', `/api/v1/webhooks/${created.body.id}/deliveries`)
      return l.body.deliveries[0]?.status === 'delivered' ? l.body.deliveries : undefined
    }, 5_000, 'the delivery to be recorded')
    t.match(log, [{ status: 'delivered', attempts: 2, statusCodes: [500, 200] }])

    hook.answers.push(500, 503, 502, 500, 500)
    await user.request('POST', '/api/v1/glucose/readings', { readings: [readingAt(0, 141)] })
    const disabled = await waitFor(async () => {
      const w = (await user.request('GET', '/api/v1/webhooks')).body.webhooks[0]
      return w.enabled ? undefined : w
    }, 20_000, 'the webhook to be disabled')
    t.match(disabled, { consecutiveFailures: 3, disabledReason: /after 3 failed deliveries/ })
    const after = await waitFor(async () => {
      const d = (await user.request('GET', `/api/v1/webhooks/${created.body.id}/deliveries`)).body.deliveries[0]
      return d.status === 'skipped' || d.status === 'failed' ? d : undefined
    }, 10_000, 'the last retry to see the webhook disabled')
    t.same(after.statusCodes, [500, 503, 502], 'three attempts, then no more calls')
    t.equal(after.status, 'skipped')

    const enabled = await user.request('PATCH', `/api/v1/webhooks/${created.body.id}`, { enabled: true })
    t.match(enabled.body, { enabled: true, consecutiveFailures: 0, disabledReason: null })
  })

  t.test('the test delivery, validation, isolation and delete', async (t) => {
    const hook = await receiver(t)
    const user = app.newUser()
    const created = await user.request('POST', '/api/v1/webhooks', { url: hook.url, events: ['alert'] })
    const test = await user.request('POST', `/api/v1/webhooks/${created.body.id}/test`)
    t.match(test.body, { delivered: true, statusCode: 200 })
    t.match(JSON.parse(hook.received[0]!.body), { id: null, type: 'test', data: { message: 'a test delivery' } })
    t.ok(verify(created.body.secret, hook.received[0]!.body, String(hook.received[0]!.headers['x-glucose-signature'])))

    const bad = await user.request('POST', '/api/v1/webhooks', { url: 'ftp://example.com/x', events: ['reading'] })
    t.equal(bad.status, 400)
    t.match(bad.body, { statusCode: 400, details: [{ field: 'url' }] })
    t.equal((await user.request('POST', '/api/v1/webhooks', { url: hook.url, events: ['nope'] })).status, 400)
    const stranger = app.newUser()
    t.equal((await stranger.request('POST', `/api/v1/webhooks/${created.body.id}/test`)).status, 404)
    t.equal((await stranger.request('DELETE', `/api/v1/webhooks/${created.body.id}`)).status, 404)
    t.equal((await user.request('DELETE', `/api/v1/webhooks/${created.body.id}`)).status, 204)
    t.same((await user.request('GET', '/api/v1/webhooks')).body.webhooks, [])
  })
})
