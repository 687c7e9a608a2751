// The database for every route: one pool, closed when the app closes. Migrates on start-up when configured, so a
// new deployment (or the local default) serves the schema it was built for.
import fp from 'fastify-plugin'
import { connect, type Db } from '../db/connect.js'
import { migrate } from '../db/migrate.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Db
  }
}

export interface DbPluginOptions {
  databaseUrl: string
  poolMax: number
  migrateOnStart: boolean
}

export default fp<DbPluginOptions>(
  async (app, opts) => {
    const db = connect(opts.databaseUrl, { max: opts.poolMax })
    app.decorate('db', db)
    app.addHook('onClose', async () => db.close())
    if (opts.migrateOnStart) {
      const { edition, applied } = await migrate(db.sql)
      app.log.info({ edition, applied }, 'database schema ready')
    }
  },
  { name: 'db' },
)
