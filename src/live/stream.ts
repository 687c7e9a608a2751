// One open GET /api/v1/glucose/stream: writes the user's events after `lastId` as Server-Sent Events
// (https://html.spec.whatwg.org/multipage/server-sent-events.html). Woken by the hub on each NOTIFY for its user;
// it then reads the rows itself, so what it sends is exactly the committed rows with id > the last one sent, in id
// order, once each — the same query serves the replay after a reconnect (Last-Event-ID).
import type { ServerResponse } from 'node:http'
import type { Sql } from '../db/connect.js'
import { eventsAfter, type LiveEvent } from './events.js'

const PAGE = 500
// A client that does not read (a stalled phone) is cut off rather than buffered without end; it reconnects with
// its Last-Event-ID and loses nothing.
const MAX_BUFFERED_BYTES = 1024 * 1024

export class LiveStream {
  private pumping: Promise<void> | undefined
  private again = false
  private closed = false

  constructor(
    readonly userId: string,
    private lastId: number,
    private readonly res: ServerResponse,
    private readonly sql: Sql,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** New events may be committed: read and send them (coalesced: one reader at a time, re-run if woken meanwhile). */
  wake(): void {
    if (this.closed) return
    if (this.pumping) {
      this.again = true
      return
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined
    })
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.again = false
        for (;;) {
          const events = await eventsAfter(this.sql, this.userId, this.lastId, PAGE)
          if (this.closed) return
          for (const event of events) this.write(event)
          if (events.length < PAGE) break
        }
      } while (this.again && !this.closed)
    } catch (error) {
      // The database went away mid-read: the next NOTIFY (or the reconnect of the listener) wakes us again.
      this.onError(error)
    }
  }

  private write(event: LiveEvent): void {
    const data = JSON.stringify({ ...event.payload, createdAt: event.createdAt })
    this.res.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${data}\n\n`)
    this.lastId = event.id
    if (this.res.writableLength > MAX_BUFFERED_BYTES) this.end()
  }

  /** A comment line: keeps proxies from closing an idle connection, and shows the client the stream is alive. */
  ping(): void {
    if (!this.closed) this.res.write(': ping\n\n')
  }

  end(): void {
    if (this.closed) return
    this.closed = true
    this.res.end()
  }

  /** The account was deleted: says so (a client should not reconnect with the old token), then ends. */
  endErased(): void {
    if (!this.closed) this.res.write('event: account-deleted\ndata: {}\n\n')
    this.end()
  }

  get isClosed(): boolean {
    return this.closed
  }
}
