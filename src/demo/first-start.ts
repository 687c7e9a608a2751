// `npm start` on an empty development database seeds the demo user once, so the first thing a new user opens
// (/app) has something to show. Only where it cannot touch anyone's data: NODE_ENV=development, the local
// cluster that scripts/local-db.sh creates (loopback, its fixed development credentials), no users yet, and
// DEMO not set to false. Never in production or tests (NODE_ENV), never against a configured DATABASE_URL.
import type { Config } from '../config.js'
import { LOCAL_DATABASE_URL } from '../config.js'
import type { Db } from '../db/connect.js'
import { signToken } from '../auth/sign-token.js'
import { DEMO_USER_ID, seedDemo } from './seed-demo.js'

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** The local development cluster, whichever database in it (LOCAL_DB_NAME) and port (LOCAL_DB_PORT). */
export function isLocalDevelopmentDatabase(databaseUrl: string): boolean {
  try {
    const url = new URL(databaseUrl)
    const local = new URL(LOCAL_DATABASE_URL)
    return LOOPBACK.has(url.hostname) && url.username === local.username && url.password === local.password
  } catch {
    return false
  }
}

export function demoSeedAllowed(config: Config): boolean {
  return config.demo && config.env === 'development' && isLocalDevelopmentDatabase(config.databaseUrl)
}

/** Seeds the demo user when allowed and the database has no users; returns what to tell the person, or null. */
export async function seedDemoOnFirstStart(db: Db, config: Config): Promise<{ userId: string; token: string; appUrl: string } | null> {
  if (!demoSeedAllowed(config)) return null
  const [row] = await db.sql<{ any: boolean }[]>`SELECT EXISTS (SELECT 1 FROM users) AS any`
  if (row!.any) return null
  await seedDemo(db)
  return { userId: DEMO_USER_ID, token: signToken(config, DEMO_USER_ID), appUrl: appUrl(config) }
}

/** Where a browser on this machine opens the web view (a wildcard listen address is not one to browse to). */
export function appUrl(config: Config): string {
  const host = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host
  return `http://${host}:${config.port}/app`
}
