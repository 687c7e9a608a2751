// Key rotation against the real database: rows under key A, config [B, A] → everything under B, same plaintext,
// no plaintext in the raw bytes, B alone still decrypts; a row under an unknown key is reported, not fatal; and a
// token refreshed while rotation runs is the one that ends up re-encrypted.
// Rotation scans the whole shared test database: other test files' rows (under the development key, unknown to
// these ciphers) show up as failed, so assertions are about this file's rows, by id.
import { randomBytes, randomUUID } from 'node:crypto'
import t from 'tap'
import { connect } from '../../src/db/connect.js'
import { credentialContext, saveConnection } from '../../src/providers/connections.js'
import { CredentialCipher, keyIdOf } from '../../src/providers/crypto.js'
import { rotateCredentials } from '../../src/providers/rotate-credentials.js'
import { createWebhook, webhookSecret } from '../../src/live/webhooks/store.js'
import { ensureUser } from '../../src/users/users.js'
import { testConfig } from '../helpers.js'
import { containsSecret } from './credential-helpers.js'

const keyA = `rot-a-${randomBytes(3).toString('hex')}:${randomBytes(32).toString('hex')}`
const keyB = `rot-b-${randomBytes(3).toString('hex')}:${randomBytes(32).toString('hex')}`
const keyUnknown = `rot-x-${randomBytes(3).toString('hex')}:${randomBytes(32).toString('hex')}`
const idOf = (key: string) => key.slice(0, key.indexOf(':'))

t.test('rotate-credentials', async (t) => {
  const db = connect(testConfig().databaseUrl, { max: 4 })
  t.teardown(() => db.close())
  const onlyA = CredentialCipher.fromConfig([keyA])
  const store = async (cipher: CredentialCipher, provider: string, credentials: Record<string, string>) => {
    const userId = randomUUID()
    await ensureUser(db.kysely, userId)
    const id = await saveConnection(db.sql, cipher, { userId, provider, region: null, credentials })
    return { id, userId, provider, credentials }
  }
  const raw = async (id: string) => (await db.sql<{ b: Buffer }[]>`SELECT credentials_encrypted AS b FROM cgm_connections WHERE id = ${id}`)[0]!.b

  const secret = () => 'secret-' + randomBytes(12).toString('hex')
  const rows = [
    await store(onlyA, 'dexcom', { accessToken: secret(), refreshToken: secret() }),
    await store(onlyA, 'libre-link-up', { email: 'a@example.org', password: secret() }),
    await store(onlyA, 'nightscout', { siteUrl: 'http://127.0.0.1:9/', apiSecretSha1: secret() }),
  ]
  const webhookOwner = randomUUID()
  await ensureUser(db.kysely, webhookOwner)
  const webhook = await createWebhook(db.sql, onlyA, webhookOwner, 'https://example.org/hook', ['reading'])
  const lost = await store(CredentialCipher.fromConfig([keyUnknown]), 'nightscout', { siteUrl: 'http://x/', apiSecretSha1: secret() })
  const bThenA = CredentialCipher.fromConfig([keyB, keyA])

  const first = await rotateCredentials(db.sql, bThenA, { batchSize: 2 }) // pages of 2: paging is exercised
  t.equal(first.keyId, idOf(keyB))
  t.equal(first.rotated, rows.length + 1, 'exactly this file\'s key-A rows were rotated: three connections, one webhook')
  const failed = first.failed.find((f) => f.id === lost.id)
  t.match(failed?.reason, /encrypted with key "rot-x-[0-9a-f]+", which is not in CREDENTIALS_KEY/, 'the unknown-key row is reported with why')
  t.equal(keyIdOf(await raw(lost.id)), idOf(keyUnknown), 'and left as it was')
  t.notOk(first.failed.some((f) => rows.some((r) => r.id === f.id)))
  t.notOk(JSON.stringify(first).includes('secret-'), 'the report holds no secret')

  const onlyB = CredentialCipher.fromConfig([keyB])
  for (const row of rows) {
    const bytes = await raw(row.id)
    t.equal(keyIdOf(bytes), idOf(keyB), `${row.provider}: now under B`)
    t.same(onlyB.decryptJson(bytes, credentialContext(row.userId, row.provider)), row.credentials, `${row.provider}: B alone decrypts it to the same plaintext`)
    for (const value of Object.values(row.credentials)) t.notOk(containsSecret(bytes, value), `${row.provider}: no plaintext in the raw bytes`)
  }

  const webhookBytes = async () => (await db.sql<{ b: Buffer }[]>`SELECT secret_encrypted AS b FROM webhooks WHERE id = ${webhook.id}`)[0]!.b
  t.equal(keyIdOf(await webhookBytes()), idOf(keyB), 'the webhook secret: now under B')
  t.equal(webhookSecret(onlyB, webhook.id, await webhookBytes()), webhook.secret, 'and B alone decrypts it to the same secret')

  const audited = await db.sql<{ subject: string; action: string; actor: string }[]>`
    SELECT subject_user_id AS subject, action, actor_kind || ':' || actor_id AS actor FROM audit_log
    WHERE subject_user_id IN ${db.sql([...rows.map((r) => r.userId), webhookOwner])} ORDER BY action, subject_user_id`
  t.same(audited, [
    ...rows.map((r) => ({ subject: r.userId, action: 'credentials.rotate cgm_connections', actor: 'system:rotate-credentials' }))
      .sort((a, b) => (a.subject < b.subject ? -1 : 1)),
    { subject: webhookOwner, action: 'credentials.rotate webhooks', actor: 'system:rotate-credentials' },
  ], 'each re-encryption is in the audit log, as its owner\'s')

  const second = await rotateCredentials(db.sql, bThenA)
  t.equal(second.rotated, 0, 'a second run has nothing to do')
  t.ok(second.alreadyCurrent >= rows.length + 1)
})

t.test('a token refreshed during rotation is not overwritten by the stale one', async (t) => {
  const db = connect(testConfig().databaseUrl, { max: 4 })
  t.teardown(() => db.close())
  const onlyA = CredentialCipher.fromConfig([keyA])
  const userId = randomUUID()
  await ensureUser(db.kysely, userId)
  const context = credentialContext(userId, 'dexcom')
  const id = await saveConnection(db.sql, onlyA, { userId, provider: 'dexcom', region: null, credentials: { refreshToken: 'stale' } })

  // A sync's refresh, caught mid-transaction: its new token is written (under the old key, as an instance not yet
  // on the new config would) but not committed, so rotation reads the stale row and must wait for the lock.
  const sync = await db.sql.reserve()
  t.teardown(() => sync.release())
  await sync`BEGIN`
  await sync`UPDATE cgm_connections SET credentials_encrypted = ${onlyA.encryptJson({ refreshToken: 'fresh' }, context)} WHERE id = ${id}`
  const bThenA = CredentialCipher.fromConfig([keyB, keyA])
  const rotation = rotateCredentials(db.sql, bThenA)
  await new Promise((resolve) => setTimeout(resolve, 300))
  await sync`COMMIT`
  const result = await rotation
  t.notOk(result.failed.some((f) => f.id === id))
  const [row] = await db.sql<{ b: Buffer }[]>`SELECT credentials_encrypted AS b FROM cgm_connections WHERE id = ${id}`
  t.equal(keyIdOf(row!.b), idOf(keyB))
  t.same(bThenA.decryptJson(row!.b, context), { refreshToken: 'fresh' }, 'the refreshed token survived, re-encrypted')
})
