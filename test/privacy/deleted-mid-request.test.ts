// A write that lands after its user was erased (DELETE /api/v1/me in another process, whose cache this process does
// not share, and whose notification has not reached this one: test/privacy/erased-elsewhere.test.ts) is a clear
// 409 that stored nothing, not a 500; sent again, it starts a new, empty account.
import t from 'tap'
import { eraseUser } from '../../src/privacy/erase.js'
import { countReadings, series, startApp } from '../helpers.js'

t.test('a write for a user erased behind this process is a 409, then a fresh account', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  const first = await user.request('POST', '/api/v1/glucose/readings', { readings: series(3) })
  t.equal(first.status, 200)
  await app.app.live.close() // this process hears no notification: it still "knows" the user
  t.ok(await eraseUser(app.db.sql, user.id), 'erased directly, as another API process would')

  const raced = await user.request('POST', '/api/v1/glucose/readings', { readings: series(3) })
  t.equal(raced.status, 409)
  t.match(raced.body.message, /account was deleted while the request ran; nothing was stored/)
  t.equal(await countReadings(app.db, user.id), 0, 'nothing stored')

  const again = await user.request('POST', '/api/v1/glucose/readings', { readings: series(3) })
  t.equal(again.status, 200, 'sent again: a new, empty account takes it')
  t.equal(await countReadings(app.db, user.id), 3)
})
