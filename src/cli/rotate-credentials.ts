// `npm run rotate-credentials [-- --batch-size 200]`: re-encrypt every stored secret (provider credentials, webhook secrets) with the first
// key of CREDENTIALS_KEY (src/providers/rotate-credentials.ts). Prints counts and the ids of rows that failed;
// exits 1 when any failed, so a key is not retired while something still needs it.
import { parseArgs } from 'node:util'
import { loadConfig } from '../config.js'
import { connect } from '../db/connect.js'
import { CredentialCipher } from '../providers/crypto.js'
import { rotateCredentials } from '../providers/rotate-credentials.js'

const { values } = parseArgs({ options: { 'batch-size': { type: 'string' } } })
const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size'])
if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) {
  console.error('usage: npm run rotate-credentials [-- --batch-size <positive integer>]')
  process.exit(2)
}
const config = loadConfig()
const db = connect(config.databaseUrl, { max: 1 })
try {
  const result = await rotateCredentials(db.sql, CredentialCipher.fromConfig(config.credentialKeys), { batchSize })
  console.log(`key "${result.keyId}": rotated ${result.rotated}, already current ${result.alreadyCurrent}, failed ${result.failed.length}`)
  for (const f of result.failed) console.log(`failed ${f.table} ${f.id}: ${f.reason}`)
  if (result.failed.length > 0) process.exitCode = 1
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
} finally {
  await db.close()
}
