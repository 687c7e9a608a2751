// Run by `npm install` (postinstall): patches postgres.js 3.4.9 where a connection that closed under a reserved
// handle (sql.reserve(), which every provider sync holds for its lock) crashes the process. Upstream: issue
// porsager/postgres#1208, fixes proposed in #1168, #1176, #1209, none released as of 3.4.9.
//
// What goes wrong, found by test/reliability/db-restart.test.ts (the database going away mid-sync):
// - a query on a reserved handle whose connection has closed is written to a socket that is null, from a
//   setImmediate: an uncaught TypeError ("Cannot read properties of null (reading 'write')") ends the process;
// - release() of such a handle moves the closed connection into the pool's open queue, where every later query
//   routed to it meets the same null socket;
// - closed()/terminate() cancel a pending write without forgetting it, so a connection that closed with a write
//   pending never flushes again after it reconnects (each query on it waits for connect_timeout).
// Patched: a reserved handle whose connection closed (or was handed back) rejects its queries with
// CONNECTION_CLOSED and its release() does nothing; nextWrite() on a closed connection fails the queries instead
// of throwing; teardown forgets the cancelled write. Idempotent; any other version is left alone with a warning.
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const MARK = '/* glucose: patched for porsager/postgres#1208 */'
const root = fileURLToPath(new URL('../node_modules/postgres/', import.meta.url))

const patches = {
  'src/index.js': [
    [
      `    c.reserved.release = true

    const sql = Sql(handler)
    sql.release = () => {
      c.reserved = null
      onopen(c)
    }`,
      `    c.reserved.release = true
    const mine = c.reserved ${MARK}

    const sql = Sql(handler)
    sql.release = () => {
      if (c.reserved !== mine) return // closed meanwhile: the pool has it back, maybe reconnected for someone else
      c.reserved = null
      onopen(c)
    }`,
    ],
    [
      `    function handler(q) {
      c.queue === full`,
      `    function handler(q) {
      if (c.reserved !== mine) return q.reject(Errors.connection('CONNECTION_CLOSED', options))
      c.queue === full`,
    ],
  ],
  'src/connection.js': [
    [
      `  function nextWrite(fn) {
    const x = socket.write(chunk, fn)`,
      `  function nextWrite(fn) {
    if (!socket) { ${MARK}
      nextWriteTimer !== null && clearImmediate(nextWriteTimer)
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
    const x = socket.write(chunk, fn)`,
    ],
    [
      `    clearImmediate(nextWriteTimer)
    if (socket) {`,
      `    clearImmediate(nextWriteTimer)
    chunk = nextWriteTimer = null
    if (socket) {`,
    ],
    [
      `    clearImmediate(nextWriteTimer)
    socket.removeListener('data', data)`,
      `    clearImmediate(nextWriteTimer)
    chunk = nextWriteTimer = null
    socket.removeListener('data', data)`,
    ],
  ],
}

let version
try {
  version = JSON.parse(readFileSync(`${root}package.json`, 'utf8')).version
} catch {
  process.exit(0) // postgres is not installed (yet): nothing to patch
}
if (version !== '3.4.9') {
  console.warn(`patch-postgres: postgres ${version} is not 3.4.9; not patched (check porsager/postgres#1208 is fixed in it)`)
  process.exit(0)
}
// src/ is what `import` loads; cjs/src/ is the same code for `require` (and has `Errors` in scope the same way).
for (const base of ['', 'cjs/']) {
  for (const [file, edits] of Object.entries(patches)) {
    const path = `${root}${base}${file}`
    let text = readFileSync(path, 'utf8')
    if (text.includes(MARK)) continue
    for (const [from, to] of edits) {
      if (!text.includes(from)) throw new Error(`patch-postgres: ${base}${file} does not contain the expected code; not patched`)
      text = text.replace(from, to)
    }
    writeFileSync(path, text)
  }
}
console.log('patch-postgres: postgres 3.4.9 patched (porsager/postgres#1208)')
