// `npm run dev-token [user-uuid]`: print a 30-day bearer token for a user (a new random one if none is given).
import { randomUUID } from 'node:crypto'
import { signToken } from '../auth/sign-token.js'
import { loadConfig } from '../config.js'

const userId = process.argv[2] ?? randomUUID()
console.error(`user ${userId}`)
console.log(signToken(loadConfig(), userId))
