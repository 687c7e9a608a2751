// `npm run dev-token [user-uuid] [--admin]`: print a 30-day bearer token for a user (a new random one if none is
// given); --admin adds the `admin` scope of the operator routes (/api/v1/admin/...).
import { randomUUID } from 'node:crypto'
import { signToken } from '../auth/sign-token.js'
import { loadConfig } from '../config.js'

const args = process.argv.slice(2)
const admin = args.includes('--admin')
const userId = args.find((a) => !a.startsWith('--')) ?? randomUUID()
console.error(`user ${userId}${admin ? ' (admin scope)' : ''}`)
console.log(signToken(loadConfig(), userId, undefined, admin ? 'admin' : undefined))
