// `npm run doctor` as a child process against a database of its own: all ✓ when everything is in place, one ✗ line
// naming what is wrong (and exit 1) when the database is unreachable or a stored credential cannot be decrypted.
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { migrate, MIGRATIONS_DIR } from '../../src/db/migrate.js'
import { saveConnection } from '../../src/providers/connections.js'
import { CredentialCipher } from '../../src/providers/crypto.js'
import { startBoss } from '../../src/sync/queues.js'
import { ensureUser } from '../../src/users/users.js'
import { freshDatabase, testConfig } from '../helpers.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const KEY_A = 'a:' + '11'.repeat(32)
const KEY_B = 'b:' + '22'.repeat(32)

/** Runs the doctor with `env` over the test environment; its lines, and its exit code. */
function doctor(env: Record<string, string>): Promise<{ code: number; lines: string[]; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(ROOT, 'node_modules/.bin/tsx'), ['src/cli/doctor.ts'], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env },
      timeout: 90_000,
    }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
      resolve({ code, lines: stdout.trim().split('\n'), stderr })
    })
  })
}

/**
 * Migrates an empty database the way a deployment gets there: through 0020 first, then the rest. (0024 uses an
 * enum value that 0014 adds, which PostgreSQL refuses inside the one transaction of a from-scratch migrate.)
 */
async function migrateFresh(t: Test, sql: Parameters<typeof migrate>[0]) {
  const early = await mkdtemp(join(tmpdir(), 'doctor-migrations-'))
  t.teardown(() => rm(early, { recursive: true, force: true }))
  for (const file of await readdir(MIGRATIONS_DIR)) if (file < '0021') await copyFile(join(MIGRATIONS_DIR, file), join(early, file))
  await migrate(sql, early)
  await migrate(sql)
}

// Six tsx processes, five of them at once, plus migrating a database from nothing: minutes on a busy machine.
t.setTimeout(300_000)

t.test('doctor', async (t) => {
  const { url, db } = await freshDatabase(t, 'doctor')
  await migrateFresh(t, db.sql)
  // pg-boss creates its schema and our queues the first time a service or worker starts.
  const boss = await startBoss(testConfig({ databaseUrl: url }), { supervise: false, poolMax: 1 })
  await boss.stop({ graceful: false })
  const userId = randomUUID()
  await ensureUser(db.kysely, userId)
  const connectionId = await saveConnection(db.sql, new CredentialCipher([{ id: 'a', key: Buffer.from('11'.repeat(32), 'hex') }]), {
    userId, provider: 'nightscout', region: null, credentials: { url: 'https://ns.example', apiSecret: 'a-secret-not-to-print' },
  })
  const good = { DATABASE_URL: url, CREDENTIALS_KEY: KEY_A, DEXCOM_CLIENT_ID: 'client', DEXCOM_CLIENT_SECRET: 'secret' }
  const production = { ...good, NODE_ENV: 'production', DEXCOM_REDIRECT_URI: 'https://glucose.example/api/v1/connections/dexcom/callback' }
  // Each run is a process starting tsx (seconds on a busy machine): the ones that change nothing run at once.
  const runs = {
    good: doctor(good),
    unreachable: doctor({ ...good, DATABASE_URL: 'postgres://glucose:hunter2@127.0.0.1:1/nowhere' }),
    wrongKey: doctor({ ...good, CREDENTIALS_KEY: KEY_B }),
    rotated: doctor({ ...good, CREDENTIALS_KEY: `${KEY_B},${KEY_A}` }),
    production: doctor({ ...production, JWT_SECRET: 'local-development-secret-do-not-use-in-production' }),
  }

  t.test('all ✓ on a good setup', async (t) => {
    const run = await runs.good
    t.equal(run.code, 0, run.lines.join('\n'))
    const checks = run.lines.slice(0, -1)
    t.same(checks.map((l) => l.split(':')[0]), [
      '✓ configuration', '✓ database', '✓ timescaledb', '✓ migrations', '✓ pg-boss', '✓ credentials', '✓ dexcom', '✓ provider URLs',
    ])
    t.match(run.lines.find((l) => l.startsWith('✓ timescaledb')), /\d+\.\d+\.\d+, Apache edition: .*timescaledb\.license=apache/)
    t.match(run.lines.find((l) => l.startsWith('✓ credentials')), /all 1 stored secrets decrypt \(key "a" current\)/)
    t.match(run.lines.find((l) => l.startsWith('✓ pg-boss')), /queues .*analyze-readings.*sync-connection/)
    t.equal(run.lines.at(-1), '8 ok, 0 to look at, 0 broken')
    t.notMatch(run.lines.join('\n'), /a-secret-not-to-print|glucose-local/, 'no secret, no database password')
  })

  t.test('an unreachable database: one ✗ line saying what to do, exit 1', async (t) => {
    const run = await runs.unreachable
    t.equal(run.code, 1)
    const failures = run.lines.filter((l) => l.startsWith('✗'))
    t.equal(failures.length, 1, failures.join('\n'))
    t.match(failures[0], /^✗ database: cannot connect to postgres:\/\/glucose:\*\*\*@127\.0\.0\.1:1\/nowhere \(.*ECONNREFUSED.*\): nothing listens there: start PostgreSQL/)
    t.notMatch(run.lines.join('\n'), /hunter2/)
  })

  t.test('a key that cannot decrypt a stored credential: ✗ naming the row and the key it needs', async (t) => {
    const run = await runs.wrongKey
    t.equal(run.code, 1)
    const failures = run.lines.filter((l) => l.startsWith('✗'))
    t.equal(failures.length, 1, failures.join('\n'))
    t.match(failures[0], `✗ credentials: 1 of 1 stored secrets cannot be decrypted with CREDENTIALS_KEY (key "b" current): cgm_connections ${connectionId} (credentials were encrypted with key "a", which is not in CREDENTIALS_KEY)`)
    t.notMatch(run.lines.join('\n'), /a-secret-not-to-print/)

    // With the old key kept second, everything decrypts, and the doctor asks for a rotation instead.
    const rotated = await runs.rotated
    t.equal(rotated.code, 0)
    t.match(rotated.lines.find((l) => l.startsWith('! credentials')), /1 under "a": run npm run rotate-credentials/)
  })

  t.test('production with a development secret: ✗ configuration', async (t) => {
    const run = await runs.production
    t.equal(run.code, 1)
    t.equal(run.lines[0], '✗ configuration: NODE_ENV=production with the development JWT_SECRET: set your own (openssl rand -hex 32)')
    t.equal(run.lines.filter((l) => l.startsWith('✗')).length, 1, run.lines.join('\n'))
    // In production the sandbox is worth a warning: real users cannot log in there.
    t.match(run.lines.find((l) => l.startsWith('! provider URLs')), /Dexcom sandbox/)
  })

  t.test('a pending migration and a missing Dexcom client', async (t) => {
    await Promise.all(Object.values(runs)) // they read the database this changes
    // The last one forgotten (the database is dropped after this test, so nothing needs undoing).
    const [last] = await db.sql<{ id: string }[]>`DELETE FROM schema_migrations WHERE id = (SELECT max(id) FROM schema_migrations) RETURNING id`
    const { DEXCOM_CLIENT_ID: _id, DEXCOM_CLIENT_SECRET: _secret, ...noDexcom } = good
    const run = await doctor(noDexcom)
    t.equal(run.code, 1)
    t.equal(run.lines.find((l) => l.startsWith('✗ migrations')), `✗ migrations: 1 pending (${last!.id}): run npm run migrate (or start the service with MIGRATE_ON_START=true)`)
    t.match(run.lines.find((l) => l.startsWith('! dexcom')), /not configured: linking Dexcom answers 503; set DEXCOM_CLIENT_ID and DEXCOM_CLIENT_SECRET/, 'a warning, not a failure')
    t.equal(run.lines.filter((l) => l.startsWith('✗')).length, 1)
  })
})
