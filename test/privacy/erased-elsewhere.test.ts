// DELETE /api/v1/me in one API process reaches every other one at its commit (a NOTIFY): their open live streams of
// the user end with an `account-deleted` event, and they stop treating the user as existing at once (no 409s for
// the minute their cache of known users would otherwise last).
import t from 'tap'
import { countReadings, series, startApp } from '../helpers.js'
import { SseClient } from '../live/support.js'
import { waitFor } from '../sync/support.js'

t.test('an erasure in one process ends the streams and the cached user in another', async (t) => {
  const [erasing, other] = [await startApp(t), await startApp(t)]
  await waitFor(async () => (other.app.live.isListening ? true : undefined), 10_000, 'the other process to listen')
  const user = erasing.newUser()
  const write = (app: typeof other) => fetch(`${app.url}/api/v1/glucose/readings`, {
    method: 'POST', headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ readings: series(3) }),
  })
  t.equal((await write(other)).status, 200, 'the other process knows the user (it stored their readings)')
  const stream = (await SseClient.open(other, user)).client!
  t.teardown(() => stream.close())

  const erased = await user.request('DELETE', '/api/v1/me')
  t.equal(erased.status, 200)
  t.equal(erased.body.deleted.readings, 3)

  await stream.waitUntil(() => stream.ended, 5_000, 'the stream to end')
  t.same(stream.messages.map((m) => m.event), ['account-deleted'], 'the stream said why it ended')
  t.equal(other.app.live.size, 0, 'no stream of the user left open')

  const after = await write(other)
  t.equal(after.status, 200, 'the next write through the other process starts the new, empty account (no 409)')
  t.equal(await countReadings(other.db, user.id), 3, 'holding only what was sent after the erasure')
})
