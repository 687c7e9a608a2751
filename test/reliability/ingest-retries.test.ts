// A client that never knows whether its batch arrived re-sends it: POST /api/v1/glucose/readings must store every
// reading exactly once whatever the order, duplication and concurrency of those re-sends. Seeded, so a failure
// names the seed that replays it (RELIABILITY_SEED=<n> runs that one alone).
import t from 'tap'
import { startApp, type TestUser } from '../helpers.js'
import { body, differences, inLanes, overlappingBatches, prng, storedReadings, truthSeries, type Reading } from './support.js'

const SEEDS = process.env.RELIABILITY_SEED ? [Number(process.env.RELIABILITY_SEED)] : [1, 2, 3]
const LANES = 6

t.test('re-sent, duplicated, reordered and concurrent batches store every reading exactly once', async (t) => {
  const app = await startApp(t)
  let requests = 0
  let rows = 0
  for (const seed of SEEDS) {
    await t.test(`seed ${seed}`, async (t) => {
      const rng = prng(seed)
      // Three users; the first has two sources for the same instants, which are two series, both kept.
      const [a, b, c] = [app.newUser(), app.newUser(), app.newUser()]
      const series: Array<{ user: TestUser; source: string; truth: Reading[]; batches: Reading[][] }> = []
      for (const [user, source] of [[a, 'DEXCOM'], [a, 'LIBRE'], [b, 'DEXCOM'], [c, 'IMPORT']] as const) {
        const truth = truthSeries(rng, rng.int(600, 1000))
        series.push({ user: user!, source, truth, batches: overlappingBatches(rng, truth, 400) })
      }

      // Every batch is sent 2–4 times; half the time two of those copies are in flight at once (a retry fired
      // before the first answer came back). All series' sends are shuffled together and run in LANES lanes.
      type Send = { s: number; sends: ReturnType<typeof body>[] }
      const plan: Send[] = []
      let copies = 0
      let concurrentPairs = 0
      series.forEach((ser, s) => {
        for (const batch of ser.batches) {
          const n = rng.int(2, 4)
          copies += n
          let left = n
          if (rng.next() < 0.5) {
            plan.push({ s, sends: [body(rng, batch, ser.source), body(rng, batch, ser.source)] })
            concurrentPairs += 1
            left -= 2
          }
          for (let i = 0; i < left; i++) plan.push({ s, sends: [body(rng, batch, ser.source)] })
        }
      })
      rng.shuffle(plan)
      const answers = await inLanes(plan.map(({ s, sends }) => async () => {
        const user = series[s]!.user
        const results = await Promise.all(sends.map((payload) => user.request('POST', '/api/v1/glucose/readings', payload)))
        return results.map((r, i) => ({ s, status: r.status, body: r.body, sent: sends[i]!.readings.length }))
      }), LANES)

      const flat = answers.flat()
      requests += flat.length
      t.equal(flat.length, copies, `${copies} requests sent (${concurrentPairs} concurrent pairs)`)
      t.same(flat.filter((r) => r.status !== 200).map((r) => r.status), [], 'every request answered 200')
      t.ok(flat.every((r) => r.body.received === r.sent && r.body.inserted + r.body.updated + r.body.unchanged === r.sent),
        'each answer accounts for every item sent: inserted + updated + unchanged = received')
      for (const [s, ser] of series.entries()) {
        const mine = flat.filter((r) => r.s === s)
        const inserted = mine.reduce((n, r) => n + r.body.inserted, 0)
        const updated = mine.reduce((n, r) => n + r.body.updated, 0)
        t.equal(inserted, ser.truth.length, `${ser.source} series ${s}: inserted once each across ${mine.length} requests (${ser.truth.length})`)
        t.equal(updated, 0, `series ${s}: no re-send counted as a revision`)
        const stored = await storedReadings(app.db, ser.user.id, ser.source)
        t.equal(stored.length, ser.truth.length, `series ${s}: ${ser.truth.length} rows`)
        t.same(differences(ser.truth, stored), [], `series ${s}: every instant stored once with the value and trend sent`)
        rows += stored.length
      }
      const [other] = await app.db.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM glucose_readings WHERE user_id IN (${a!.id}, ${b!.id}, ${c!.id})`
      t.equal(other!.n, series.reduce((n, s) => n + s.truth.length, 0), 'the three users hold nothing else')
    })
  }
  t.comment(`${requests} requests, ${rows} rows checked over seeds ${SEEDS.join(', ')}`)
})
