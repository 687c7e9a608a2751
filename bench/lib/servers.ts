// The servers the read scenario loads: the app (as deployed: auth, pool, schemas) and a hello-world Fastify route,
// the ceiling for any Fastify handler on this box. Each can run in this process or in a child process.
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import { buildApp } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config.js'
import { serverDatabaseUrl } from './cpu.js'

export type ServerKind = 'app' | 'hello'
export interface RunningServer {
  url: string
  pid?: number // set for a child process
  close(): Promise<void>
}

export async function startServer(kind: ServerKind): Promise<RunningServer> {
  const app = kind === 'hello' ? helloWorld() : await buildApp(appConfig())
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { url, close: () => app.close() }
}

// As deployed, minus logging (its cost belongs to the log pipeline) and with the pool's backends labelled (cpu.ts).
// The global rate limit stays on (its hook is part of every request's cost) but high enough never to refuse: the
// load generator sends thousands of requests per second per user.
function appConfig(): Config {
  const config = loadConfig({ RATE_LIMIT_PER_MINUTE: '100000000', ...process.env, LOG_LEVEL: 'silent', MIGRATE_ON_START: 'false', SYNC_WORKER: 'false' })
  return { ...config, databaseUrl: serverDatabaseUrl(config.databaseUrl) }
}

// Fastify's own benchmark route: no logger, no schema, reply.send of a literal.
function helloWorld() {
  const app = Fastify({ logger: false })
  app.get('/', (_request, reply) => {
    reply.send({ hello: 'world' })
  })
  return app
}

const CHILD = fileURLToPath(new URL('./serve-child.ts', import.meta.url))

/**
 * The same server in its own process, so it gets a core of its own instead of sharing the load generator's event
 * loop. `--import tsx` runs the TypeScript as the parent does; BENCH_CPU_PROF=1 writes a .cpuprofile per server
 * into bench/results/profiles on a clean exit.
 */
export async function startChildServer(kind: ServerKind): Promise<RunningServer> {
  const profile = process.env.BENCH_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${fileURLToPath(new URL('../results/profiles', import.meta.url))}`] : []
  const child = fork(CHILD, [kind], { execArgv: ['--import', 'tsx', ...profile], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const [message] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`${kind} server exited with ${code} before listening`))),
  ])) as [{ url: string }]
  return {
    url: message.url,
    ...(child.pid !== undefined && { pid: child.pid }),
    async close() {
      const exited = once(child, 'exit')
      child.send('stop')
      await exited
    },
  }
}
