// Entry of a child server process (see startChildServer): listens, reports its URL over IPC, exits on 'stop'.
// Exiting through process.exit (not a signal) lets --cpu-prof write its profile.
import { startServer, type ServerKind } from './servers.js'

const kind = process.argv[2] as ServerKind
const server = await startServer(kind)
process.send!({ url: server.url })
process.on('message', async (message) => {
  if (message !== 'stop') return
  await server.close()
  process.exit(0)
})
