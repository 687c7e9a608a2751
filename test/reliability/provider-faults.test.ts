// Every provider call under every kind of broken answer, over real HTTP against the simulators: 5xx, no answer, a
// body that trickles, is cut off, is garbage, is a gateway's HTML page, or is 200 MB. Each time the sync fails fast
// with a clear error (in its answer and in GET /connections), calls the provider once (no retry storm), backs off,
// leaves the cursor and the stored readings as they were, the process keeps its memory, and the next sync after
// the fault works. The matrix is in faults-support.ts.
import t, { type Test } from 'tap'
import { request, startApp, type Running } from '../helpers.js'
import { LLU_VERSION } from '../providers/credential-helpers.js'
import { REDIRECT_URI } from '../providers/helpers.js'
import {
  connectionRow, connectTargets, FAULTS, HUGE_BYTES, MAX_RESPONSE_BYTES, startSimulators, TIMEOUT_MS, type Fault, type Target,
} from './faults-support.js'

const MB = 1024 * 1024
// About a minute on an idle 2-core machine; room for a loaded CI run beside other test files.
t.setTimeout(240_000)

// A crash would be an unhandled rejection or exception somewhere in the sync path: counted, and must stay zero.
const crashes: unknown[] = []
process.on('unhandledRejection', (error) => void crashes.push(error))
process.on('uncaughtException', (error) => void crashes.push(error))

t.test('provider faults', async (t) => {
  const sims = await startSimulators(t)
  const app = await startApp(t, {
    dexcom: { clientId: 'sim-client-id', clientSecret: 'sim-client-secret', redirectUri: REDIRECT_URI, baseUrl: sims.dexcom.baseUrl },
    libreLinkUp: { baseUrl: sims.llu.baseUrl, regionUrlTemplate: sims.llu.regionUrlTemplate, version: LLU_VERSION },
    providerHttp: { timeoutMs: TIMEOUT_MS, maxResponseBytes: MAX_RESPONSE_BYTES },
  })
  const targets = await connectTargets(app, sims)
  for (const target of targets) {
    const first = await request(app.url, target.user.token, 'POST', `/api/v1/connections/${target.connectionId}/sync`)
    if (first.status !== 200) throw new Error(`${target.name}: the first sync answered ${first.status}: ${JSON.stringify(first.body)}`)
  }

  let injected = 0
  let peakRss = process.memoryUsage().rss
  const startRss = peakRss
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20)
  t.teardown(() => clearInterval(sampler))

  for (const target of targets) {
    t.test(target.name, async (t) => {
      for (const fault of FAULTS) {
        await t.test(`${String(fault.spec.status)}`, async (t) => {
          injected += await faultThenRecover(t, app, target, fault)
        })
      }
    })
  }

  t.test('totals', async (t) => {
    const mb = (n: number) => Math.round(n / MB)
    t.equal(injected, targets.length * FAULTS.length, `${injected} faults injected: ${targets.length} provider calls × ${FAULTS.length} kinds`)
    t.same(crashes, [], 'no unhandled rejection or exception')
    // 200 MB bodies were streamed at us twice per call: at most the 4 MB cap of each was ever held.
    t.ok(peakRss - startRss < 150 * MB, `peak RSS ${mb(peakRss)} MB, ${mb(peakRss - startRss)} MB above the start`)
    t.comment(`provider faults: ${injected} injected, peak RSS +${mb(peakRss - startRss)} MB`)
  })
})

/** Injects `fault` into the target's call, checks the failed sync, clears it, checks the next sync. Returns 1. */
async function faultThenRecover(t: Test, app: Running, target: Target, fault: Fault): Promise<number> {
  const { sim, user, connectionId: id } = target
  // A new reading at the provider: a sync that wrongly half-succeeded would store it or move the cursor.
  await target.addReading()
  const before = await connectionRow(app, id)
  const readingsBefore = await countAll(app, user.id)
  target.prepare()
  sim.resetCalls()
  sim.injectFailures({ ...fault.spec, pathPrefix: target.path, count: 1 })

  const started = Date.now()
  const failed = await request(app.url, user.token, 'POST', `/api/v1/connections/${id}/sync`)
  const took = Date.now() - started
  t.equal(failed.status, fault.code, `answered ${fault.code}`)
  t.match(failed.body?.message, fault.error, 'the answer says what the provider did')
  t.ok(took < TIMEOUT_MS + 2_000, `failed within the provider timeout (${took} ms)`)
  const faulted = sim.requests(target.path)
  t.equal(faulted.length, 1, 'the faulted call was made once: no retry inside the sync')
  if (fault.spec.status === 'huge' || fault.spec.status === 'huge-declared') {
    const sent = faulted[0]?.bytesSent ?? HUGE_BYTES
    t.ok(sent < MAX_RESPONSE_BYTES + 16 * MB, `stopped reading: ${(sent / MB).toFixed(1)} MB of ${HUGE_BYTES / MB} MB left the simulator`)
  }

  const listed = await request(app.url, user.token, 'GET', '/api/v1/connections')
  const view = (listed.body.connections as Array<{ id: string; status: string; lastError: string | null }>).find((c) => c.id === id)
  t.equal(view?.status, fault.status, `GET /connections shows status ${fault.status}`)
  t.match(view?.lastError, fault.error, 'and the error as last error')
  const after = await connectionRow(app, id)
  t.same(after.sync_cursor, before.sync_cursor, 'cursor unmoved')
  t.equal(await countAll(app, user.id), readingsBefore, 'nothing stored')
  t.equal(after.consecutive_failures, before.consecutive_failures + 1, 'one failure counted')
  t.ok(after.next_sync_at && after.next_sync_at.getTime() > Date.now() + 25_000, 'the next attempt is backed off (≥ 30 s)')
  t.equal((await request(app.url, undefined, 'GET', '/health')).status, 200, 'the service still answers')

  // The fault ends (a timeout's socket may still hang: the next call opens another).
  sim.clearFailures()
  const recovered = await request(app.url, user.token, 'POST', `/api/v1/connections/${id}/sync`)
  t.equal(recovered.status, 200, `the next sync works: ${JSON.stringify(recovered.body?.message ?? '')}`)
  t.match(recovered.body?.connection, { status: 'active', lastError: null }, 'active again, error cleared')
  const inserted = recovered.body?.readings?.inserted ?? 0
  t.ok(inserted > 0, `the new readings arrive (${inserted})`)
  t.notSame((await connectionRow(app, id)).sync_cursor, before.sync_cursor, 'and the cursor moves on')
  return 1
}

async function countAll(app: Running, userId: string): Promise<number> {
  const [row] = await app.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM glucose_readings WHERE user_id = ${userId}`
  return row!.n
}
