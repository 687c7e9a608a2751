// 10,000 generated malformed requests across every route of the app (collected with an onRoute hook, so new routes
// are fuzzed too), reproducible from the seed printed below (FUZZ_SEED=<n> to replay, FUZZ_COUNT to change the
// count). Never a 5xx, never a hang; every 4xx has a JSON message; the certainly-malformed ones are all 4xx and
// store nothing for their user, counted in every table with a user column (found in information_schema, so new
// tables count too). Most go through app.inject; a sample goes over real HTTP.
import { request as httpRequest } from 'node:http'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { signToken } from '../../src/auth/sign-token.js'
import { connect } from '../../src/db/connect.js'
import { testConfig } from '../helpers.js'
import { generate, type FuzzRequest, type RouteInfo } from './fuzz-requests.js'
import { newUserId, rowsOfUser, tally } from './fuzz-support.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20261126)
const COUNT = Number(process.env.FUZZ_COUNT ?? 10_000)
const HTTP_SAMPLE = 300
// A hang, not a slow answer: GET /me/export (~30 queries on one connection) took up to 7.5 s on a loaded machine.
const HANG_MS = 30_000
// About a minute on an idle 2-core machine; room for a loaded CI run beside other test files.
t.setTimeout(240_000)

t.comment(`fuzz seed ${SEED} (replay: FUZZ_SEED=${SEED})`)

t.test('fuzz every route with malformed requests', async (t) => {
  // The per-user limit would turn the fuzz into 429s; outgoing provider hosts point at a closed loopback port.
  const config = testConfig({
    rateLimitPerMinute: 1_000_000_000,
    libreLinkUp: { baseUrl: 'http://127.0.0.1:9', regionUrlTemplate: 'http://127.0.0.1:9/{region}', version: '4.16.0' },
  })
  const routes: RouteInfo[] = []
  const app = await buildApp(config, {
    onRoute: (r) => {
      for (const method of [r.method].flat()) routes.push({ method, url: r.url, schema: (r.schema ?? {}) as RouteInfo['schema'] })
    },
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  const db = connect(config.databaseUrl, { max: 2 })
  t.teardown(async () => {
    await app.close()
    await db.close()
  })

  const fuzzUser = newUserId()
  const edgeUser = newUserId()
  const tokens = { fuzz: signToken(config, fuzzUser), edge: signToken(config, edgeUser) }
  const headersOf = (r: FuzzRequest): Record<string, string> => {
    const h = { ...r.headers }
    if (r.who === 'fuzz' || r.who === 'edge') h.authorization = `Bearer ${tokens[r.who]}`
    if (h.authorization === 'Bearer {tampered}') h.authorization = `Bearer ${tokens.fuzz.slice(0, -4)}AAAA`
    return h
  }

  const fuzzable = routes.filter((r) => r.method !== 'OPTIONS')
  const requests = generate(fuzzable, SEED, COUNT)
  const stats = tally()
  const failures: string[] = []
  const check = (r: FuzzRequest, status: number, body: string, contentType: string | undefined) => {
    stats.add(r, status)
    const where = `${r.kind} ${r.method} ${r.url.slice(0, 160)} → ${status}`
    // /ready exists to say 503 when the database does not answer in time, as it may while the fuzz saturates it.
    const readiness = r.route.endsWith(' /ready') && status === 503
    if (status >= 500 && !readiness) failures.push(`${where}: ${body.slice(0, 200)}`)
    if (r.expect === 'client-error' && (status < 400 || status >= 500)) failures.push(`${where}: a malformed request was not refused`)
    if (status >= 400 && status < 500 && r.method !== 'HEAD') {
      let message: unknown
      try {
        message = (JSON.parse(body) as { message?: unknown }).message
      } catch {}
      if (typeof message !== 'string' || message === '' || !contentType?.includes('json')) failures.push(`${where}: no JSON message (${contentType}) ${body.slice(0, 100)}`)
    }
  }

  const started = Date.now()
  const slowest: Array<[number, string]> = []
  // A few at a time: requests that reach the database wait on it, and the fuzz must fit the test's time budget.
  await inPool(requests, 8, async (r) => {
    const t0 = performance.now()
    let res
    try {
      res = await withDeadline(app.inject({ method: r.method as 'GET', url: r.url, headers: headersOf(r), ...(r.payload !== undefined && { payload: r.payload }) }), r)
    } catch (error) {
      failures.push((error as Error).message) // a hang: recorded, and the fuzz goes on
      return
    }
    check(r, res.statusCode, res.body, res.headers['content-type'] as string | undefined)
    slowest.push([performance.now() - t0, `${r.kind} ${r.method} ${r.url.slice(0, 100)} → ${res.statusCode}`])
  })
  slowest.sort((a, b) => b[0] - a[0])
  t.comment(`slowest: ${JSON.stringify(slowest.slice(0, 5).map(([ms, w]) => `${Math.round(ms)} ms ${w}`))}`)
  const injectMs = Date.now() - started

  // A sample over real HTTP: the socket path (Node's parser, keep-alive, bodies on any method) as clients use it.
  const sample = generate(fuzzable, SEED + 1, HTTP_SAMPLE)
  for (const r of sample) {
    try {
      const res = await withDeadline(send(port, r.method, r.url, headersOf(r), r.payload), r)
      check(r, res.status, res.body, res.contentType)
    } catch (error) {
      failures.push(`${r.kind} ${r.method} ${r.url.slice(0, 160)} over HTTP: ${(error as Error).message}`)
    }
  }

  const summary = stats.summary()
  t.comment(`${requests.length} injected in ${injectMs} ms + ${sample.length} over HTTP; seed ${SEED}`)
  t.comment(`by kind: ${JSON.stringify(summary.byKind)}`)
  t.comment(`by status: ${JSON.stringify(summary.byStatus)}`)
  t.comment(`by sender: ${JSON.stringify(summary.byWho)}; routes: ${summary.routes} (each hit ${summary.minPerRoute}–${summary.maxPerRoute} times)`)
  t.same(failures.slice(0, 20), [], `${failures.length} requests answered wrongly (first 20 shown)`)
  t.ok(requests.length >= 10_000 || COUNT < 10_000, `${requests.length} requests generated`)
  const unhit = fuzzable.map((r) => `${r.method} ${r.url}`).filter((k) => !summary.perRoute.has(k))
  t.same(unhit, [], 'every route was fuzzed')
  t.ok(summary.byKind['bad-query'] && summary.byKind['invalid-json'] && summary.byKind['deep-json'], 'every kind of malformation was generated')

  // By design two things exist for any authenticated user: the users row (made on first use of a signed token, with
  // default settings: no malformed PATCH /me changed them) and the audit trail of each attempt on their data (all
  // refused). Nothing else: no reading, meal, consent, connection, webhook, site…
  const stored = await rowsOfUser(db, fuzzUser)
  const { 'public.audit_log.subject_user_id': audited = 0, ...data } = stored.rows
  t.ok(stored.tables > 5, `counted in ${stored.tables} tables with a user column`)
  t.same(data, {}, 'nothing stored for the fuzz user')
  const [user] = await db.sql`SELECT timezone, preferred_unit, retention_days FROM users WHERE id = ${fuzzUser}`
  t.same(user && { ...user }, { timezone: 'UTC', preferred_unit: 'mg/dL', retention_days: null }, 'the user row keeps its defaults')
  if (audited > 0) {
    const [audit] = await db.sql<{ refused: number; total: number }[]>`
      SELECT count(*) FILTER (WHERE status BETWEEN 400 AND 499)::int AS refused, count(*)::int AS total FROM audit_log WHERE subject_user_id = ${fuzzUser}`
    t.equal(audit!.refused, audit!.total, `the audit trail records ${audit!.total} attempts, every one refused`)
  }
})

/** `size` workers taking the next item as each finishes: one slow route does not hold up the others. */
async function inPool<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!)
  }
  await Promise.all(Array.from({ length: size }, worker))
}

/** The request's answer, or a failure naming it after HANG_MS: a hang must not pass as a slow test. */
async function withDeadline<T>(promise: Promise<T>, r: FuzzRequest): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HANG_MS} ms: ${r.kind} ${r.method} ${r.url.slice(0, 200)}`)), HANG_MS)
  })
  try {
    return await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
  }
}

/** node:http rather than fetch: fetch refuses bodies on GET and some of the headers a fuzzer sends. */
function send(port: number, method: string, path: string, headers: Record<string, string>, payload?: string) {
  return new Promise<{ status: number; body: string; contentType: string | undefined }>((resolve, reject) => {
    // A connection per request: the server may close one after refusing a body it did not read.
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), contentType: res.headers['content-type'] }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(payload)
  })
}
