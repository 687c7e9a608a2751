// Entry of the Dexcom simulator child process of the sync-scale section (see startDexcomSimChild): N users
// bench-1…bench-N with one day of history (records are generated lazily from each user's seeded trace, so 10,000
// users cost milliseconds), and a token pair issued for each, so the bench stores credentials without 10,000 OAuth
// redirects. In its own process so that answering the workers' requests does not share their event loop.
// Messages: { latencyMs } sets the response latency (acknowledged with { ok: true }); 'stop' closes and exits
// (through process.exit, so --cpu-prof can write its profile).
import { startDexcomSimulator } from '../../src/simulators/dexcom/index.js'

export interface SimChildReady {
  baseUrl: string
  clientId: string
  clientSecret: string
  /** [username, accessToken, refreshToken], in user order. */
  tokens: Array<[string, string, string]>
}

const count = Number(process.argv[2])
if (!Number.isInteger(count) || count < 1) throw new Error(`dexcom-sim-child: user count "${process.argv[2]}" must be a positive integer`)

const sim = await startDexcomSimulator({
  users: Array.from({ length: count }, (_, i) => ({ username: `bench-${i + 1}`, historyDays: 1 })),
  // The simulator's per-app budget (Dexcom's 60,000 calls an hour) would refuse a second 10,000-connection run
  // within the hour: the bench measures our engine, not Dexcom's quota.
  hourlyCallLimit: Number.MAX_SAFE_INTEGER,
  accessTokenTtlSeconds: 86_400, // no refresh during a run
})
const client = sim.clients[0]!
const tokens = sim.usernames.map((username): [string, string, string] => {
  const pair = sim.issueTokens(username)
  return [username, pair.access_token, pair.refresh_token]
})
process.send!({ baseUrl: sim.baseUrl, clientId: client.clientId, clientSecret: client.clientSecret, tokens } satisfies SimChildReady)

process.on('message', async (message: { latencyMs?: number } | 'stop') => {
  if (message === 'stop') {
    await sim.close()
    process.exit(0)
  }
  if (typeof message.latencyMs === 'number') {
    sim.setLatency(message.latencyMs)
    process.send!({ ok: true })
  }
})
// The parent gone (killed, crashed): do not linger as an orphan holding a port.
process.on('disconnect', () => process.exit(0))
