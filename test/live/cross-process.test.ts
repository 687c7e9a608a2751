// A reading committed by another process (its own pool, no app) reaches a subscriber of this process's app:
// the NOTIFY travels through PostgreSQL, not an in-process emitter.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { startApp } from '../helpers.js'
import { SseClient } from './support.js'

const run = promisify(execFile)
const child = fileURLToPath(new URL('./commit-in-child.ts', import.meta.url))

t.test('a reading committed by another process reaches the subscriber', async (t) => {
  const app = await startApp(t)
  const [user, other] = [app.newUser(), app.newUser()]
  const stream = (await SseClient.open(app, user)).client!
  t.teardown(() => stream.close())
  await other.request('GET', '/api/v1/me') // creates the user row the child writes for

  const { stdout } = await run(process.execPath, ['--import', 'tsx', child, user.id, '187'], { env: process.env, timeout: 30_000 })
  const { committedAt, stored } = JSON.parse(stdout) as { committedAt: number; stored: { inserted: number } }
  t.equal(stored.inserted, 1)
  // Pushed by the child's NOTIFY; a bound for a loaded CI box, not a latency target (the bench has that).
  const event = await stream.next((m) => m.event === 'reading', 5000)
  t.match(event.data, { value: 187, source: 'DEXCOM', count: 1 })
  t.ok(event.receivedAt - committedAt < 5000, `delivered within ${event.receivedAt - committedAt} ms of the child's commit`)

  await run(process.execPath, ['--import', 'tsx', child, other.id, '99'], { env: process.env, timeout: 30_000 })
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.same(stream.messages.map((m) => m.data.value), [187], "another user's commit in that process is not delivered here")
})
