// The process's side of the live stream: one LISTEN connection (postgres.js `sql.listen` on a client of its own,
// outside the request pool), fanned out in memory to this process's open streams. Any process that commits events — an API
// process, a sync worker elsewhere — NOTIFYs through the database, so every process hears every commit.
import type { FastifyBaseLogger } from 'fastify'
import { connect, type Db } from '../db/connect.js'
import { ERASED, LIVE_CHANNEL } from './events.js'
import type { LiveStream } from './stream.js'

export class LiveHub {
  private readonly streams = new Map<string, Set<LiveStream>>()
  private listenDb: Db | undefined
  private heartbeat: NodeJS.Timeout | undefined
  private retry: NodeJS.Timeout | undefined
  private closed = false
  private listening = false

  constructor(
    private readonly databaseUrl: string,
    private readonly options: {
      heartbeatMs: number
      maxStreamsPerUser: number
      log: FastifyBaseLogger
      /** A user's account was erased (by any process). */
      onErased?: (userId: string) => void
    },
  ) {}

  /** Never fails: the app starts without its database (answering 503), and the listener follows when it is back. */
  start(): void {
    this.heartbeat = setInterval(() => {
      for (const set of this.streams.values()) for (const s of set) s.ping()
    }, this.options.heartbeatMs)
    this.heartbeat.unref()
    void this.listen()
  }

  private async listen(): Promise<void> {
    // A fresh client per attempt: a postgres.js client whose first LISTEN failed keeps answering with that failure.
    const db = connect(this.databaseUrl, { max: 1 })
    this.listenDb = db
    try {
      // onlisten runs on the first LISTEN and again after postgres.js reconnects the listener: notifications sent
      // while it was down are lost, so every stream re-reads what it has not sent yet.
      await db.sql.listen(LIVE_CHANNEL, (payload) => this.notified(payload), () => this.wakeAll())
      this.listening = true
      // Closed while LISTEN was being set up: close() could not end a listener that did not exist yet, and its
      // open connection would keep the process (and a test runner) waiting.
      if (this.closed) await db.close().catch(() => {})
    } catch (error) {
      this.options.log.warn({ err: { message: (error as Error).message } }, 'live: cannot LISTEN yet; retrying in 5 s')
      this.listenDb = undefined
      await db.close().catch(() => {})
      if (!this.closed) this.retry = setTimeout(() => void this.listen(), 5000).unref()
    }
  }

  /** Whether the user may open another stream in this process. */
  hasRoom(userId: string): boolean {
    return !this.closed && (this.streams.get(userId)?.size ?? 0) < this.options.maxStreamsPerUser
  }

  add(stream: LiveStream): void {
    let set = this.streams.get(stream.userId)
    if (!set) this.streams.set(stream.userId, (set = new Set()))
    set.add(stream)
  }

  remove(stream: LiveStream): void {
    const set = this.streams.get(stream.userId)
    set?.delete(stream)
    if (set?.size === 0) this.streams.delete(stream.userId)
  }

  /** Whether notifications reach this process (false until the first LISTEN succeeds, and after close). */
  get isListening(): boolean {
    return this.listening && !this.closed
  }

  get size(): number {
    let n = 0
    for (const set of this.streams.values()) n += set.size
    return n
  }

  // '<user id>:<event id>'. The event id is not needed here: each stream reads everything after its last one.
  // '<user id>:erased': the account is gone; its streams end with an `account-deleted` event.
  private notified(payload: string): void {
    const colon = payload.indexOf(':')
    const userId = payload.slice(0, colon)
    const set = this.streams.get(userId)
    if (payload.slice(colon + 1) !== ERASED) {
      if (set) for (const s of set) s.wake()
      return
    }
    if (set) for (const s of set) s.endErased()
    this.streams.delete(userId)
    this.options.onErased?.(userId)
  }

  private wakeAll(): void {
    for (const set of this.streams.values()) for (const s of set) s.wake()
  }

  /** Ends every open stream (clients reconnect elsewhere with Last-Event-ID) and stops listening. */
  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.heartbeat)
    clearTimeout(this.retry)
    for (const set of this.streams.values()) for (const s of set) s.end()
    this.streams.clear()
    await this.listenDb?.close().catch((error: Error) => this.options.log.warn({ err: { message: error.message } }, 'live: closing the listener failed'))
    this.listenDb = undefined
  }
}
