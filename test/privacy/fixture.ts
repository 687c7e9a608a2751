// An account with data in every table a user's data can reach: through the API where a route writes it, in SQL
// where only a worker would (detected meals, alerts, sync runs, deliveries, pg-boss jobs).
import { randomBytes } from 'node:crypto'
import { saveConnection } from '../../src/providers/connections.js'
import { CredentialCipher } from '../../src/providers/crypto.js'
import { ANALYSIS_QUEUE, SYNC_QUEUE, startBoss } from '../../src/sync/queues.js'
import { series, type Running, type TestUser } from '../helpers.js'

export interface Account {
  user: TestUser
  /** Every id of the account's rows a table of another row may hold (connections, meals, webhooks, ...). */
  ids: string[]
  connectionId: string
  mealId: string
  detectedMealId: string
  webhookId: string
  siteId: string
  /** Secrets that must never appear in an export. */
  secrets: string[]
  readings: number
  mealName: string
}

async function ok(res: Promise<{ status: number; body: any }>, what: string) {
  const r = await res
  if (r.status >= 300) throw new Error(`${what} answered ${r.status}: ${JSON.stringify(r.body)}`)
  return r.body
}

export async function fillAccount(app: Running, user: TestUser, opts: { readings: number; tag: string }): Promise<Account> {
  const { sql } = app.db
  const cipher = CredentialCipher.fromConfig(app.config.credentialKeys)
  const ids: string[] = []
  // Readings through the API (≤ 10,000 per request), 5 minutes apart, ending now.
  const all = series(opts.readings, { value: (i) => 70 + ((i * 7) % 180) })
  for (let i = 0; i < all.length; i += 10_000) {
    await ok(user.request('POST', '/api/v1/glucose/readings', { source: 'DEXCOM', readings: all.slice(i, i + 10_000) }), 'ingest')
  }
  const mealName = `${opts.tag} porridge`
  const meal = await ok(user.request('POST', '/api/v1/meals', {
    eatenAt: new Date(Date.now() - 5 * 3_600_000).toISOString(), name: mealName, notes: `${opts.tag} notes`,
    items: [{ name: 'oats', grams: 60, carbs: 40 }, { name: 'milk', grams: 200, carbs: 10 }],
  }), 'meal')
  ids.push(meal.id)
  await ok(user.request('GET', `/api/v1/meals/${meal.id}/response`), 'meal response')
  const [detected] = await sql<{ id: string }[]>`
    INSERT INTO detected_meals (user_id, onset_at, peak_at, onset_mg_dl, peak_mg_dl, rise_mg_dl, max_rate_mg_dl_min, confidence, series_source)
    VALUES (${user.id}, now() - interval '3 hours', now() - interval '2 hours', 100, 160, 60, 2, 0.8, 'DEXCOM') RETURNING id`
  ids.push(detected!.id)

  await ok(user.request('POST', '/api/v1/consents', { provider: 'libre-link-up', policyVersion: 'test-1' }), 'consent')
  const password = `pw-${randomBytes(6).toString('hex')}`
  const connectionId = await saveConnection(sql, cipher, {
    userId: user.id, provider: 'libre-link-up', region: 'eu',
    credentials: { email: `${opts.tag}@example.com`, password, token: `tok-${randomBytes(6).toString('hex')}` },
  })
  ids.push(connectionId)
  await sql`INSERT INTO sync_runs (connection_id, provider, trigger, outcome, readings_stored) VALUES (${connectionId}, 'libre-link-up', 'manual', 'ok', 3)`
  await sql`
    INSERT INTO oauth_states (state_hash, user_id, provider, region, base_url, expires_at)
    VALUES (${randomBytes(32)}, ${user.id}, 'dexcom', 'us', 'https://sandbox-api.dexcom.com', now() + interval '10 minutes')`

  await ok(user.request('PUT', '/api/v1/alerts/settings', { high: 200 }), 'alert settings')
  await sql`
    INSERT INTO alerts (user_id, kind, threshold, reading_time, value, last_seen_at)
    VALUES (${user.id}, 'high', 200, now() - interval '1 hour', 230, now() - interval '30 minutes')`
  const webhook = await ok(user.request('POST', '/api/v1/webhooks', { url: 'https://hooks.example.com/glucose', events: ['reading', 'alert'] }), 'webhook')
  ids.push(webhook.id)
  await sql`
    INSERT INTO webhook_deliveries (webhook_id, event_type, payload, status)
    VALUES (${webhook.id}, 'alert', ${sql.json({ userId: user.id, kind: 'high', value: 230 })}, 'delivered')`
  await sql`INSERT INTO live_events (user_id, type, payload) VALUES (${user.id}, 'alert', ${sql.json({ kind: 'high', value: 230 })})`
  const site = await ok(user.request('POST', '/api/v1/me/nightscout-upload'), 'upload site')
  ids.push(site.siteId)

  // Jobs as the sync engine queues them: a sync per connection (singleton key = connection id), an analysis per user.
  const boss = await startBoss(app.config, { supervise: false })
  try {
    await boss.send(SYNC_QUEUE, { userId: user.id, connectionId }, { singletonKey: connectionId, startAfter: 3600 })
    await boss.send(ANALYSIS_QUEUE, { userId: user.id, from: new Date().toISOString(), to: new Date().toISOString() }, { startAfter: 3600 })
  } finally {
    await boss.stop({ graceful: false })
  }
  return { user, ids, connectionId, mealId: meal.id, detectedMealId: detected!.id, webhookId: webhook.id, siteId: site.siteId, secrets: [password, webhook.secret, site.secret, site.apiSecretSha1], readings: opts.readings, mealName }
}
