// The app for the operability tests: like test/helpers.ts startApp, but the Fastify instance is returned too (its
// registered routes, inject with a chosen client address), and Prometheus text can be read back.
import { randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { signToken } from '../../src/auth/sign-token.js'
import type { Config } from '../../src/config.js'
import { connect } from '../../src/db/connect.js'
import { request, testConfig, type TestUser } from '../helpers.js'

export async function startOpsApp(t: Test, overrides: Partial<Config> = {}) {
  const config = testConfig(overrides)
  const app = await buildApp(config)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  const db = connect(config.databaseUrl, { max: 2 })
  t.teardown(async () => {
    await app.close()
    await db.close()
  })
  const newUser = (): TestUser => {
    const id = randomUUID()
    const token = signToken(config, id)
    return { id, token, request: (method, path, body) => request(url, token, method, path, body) }
  }
  return { app, url, config, db, newUser }
}

/** The value of the sample `name{labels}` in Prometheus text (labels: all of these, others ignored); 0 if absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total: number | undefined
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]))
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) total = (total ?? 0) + Number(match[3])
  }
  return total ?? 0
}
