// Batches HTTP audit entries into one INSERT: an entry is recorded after its response was sent, so the request
// never waits for it, and a read-heavy client costs one statement per batch instead of one per request (a 24 h
// read is ~1 ms of CPU in all; a statement of its own would add a noticeable share).
// Trade-off, stated: entries still buffered when the process is killed (not closed) are lost — at most
// `maxDelayMs` worth. A graceful close flushes (src/plugins/audit.ts).
import type { FastifyBaseLogger } from 'fastify'
import type { Sql } from '../db/connect.js'
import { insertAudit, type AuditEntry } from './audit-log.js'

export interface AuditWriterOptions {
  /** Flush when this many entries are waiting. */
  maxBatch?: number
  /** Flush at the latest this long after the first waiting entry. */
  maxDelayMs?: number
  /** Entries held while the database is unreachable; beyond it new entries are dropped and counted in the log. */
  maxBuffered?: number
}

export class AuditWriter {
  private buffer: AuditEntry[] = []
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> = Promise.resolve()
  private dropped = 0
  private readonly maxBatch: number
  private readonly maxDelayMs: number
  private readonly maxBuffered: number

  constructor(private readonly sql: Sql, private readonly log: FastifyBaseLogger, options: AuditWriterOptions = {}) {
    this.maxBatch = options.maxBatch ?? 200
    this.maxDelayMs = options.maxDelayMs ?? 50
    this.maxBuffered = options.maxBuffered ?? 50_000
  }

  add(entry: AuditEntry): void {
    if (this.buffer.length >= this.maxBuffered) {
      this.dropped++
      return
    }
    this.buffer.push(entry)
    if (this.buffer.length >= this.maxBatch) void this.flush()
    else this.timer ??= setTimeout(() => void this.flush(), this.maxDelayMs).unref()
  }

  /** Writes everything added so far; resolves when it is stored (or the failure is logged). */
  flush(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    const batch = this.buffer
    this.buffer = []
    // Chained: batches are written in order, one at a time.
    this.flushing = this.flushing.then(() => this.write(batch))
    return this.flushing
  }

  private async write(batch: AuditEntry[]): Promise<void> {
    if (this.dropped > 0) {
      this.log.error({ dropped: this.dropped }, 'audit entries dropped: the buffer was full (database unreachable?)')
      this.dropped = 0
    }
    if (batch.length === 0) return
    try {
      await insertAudit(this.sql, batch)
    } catch (error) {
      // Put back in front once, for the next flush: a database restart should not lose the log.
      if (this.buffer.length + batch.length <= this.maxBuffered) {
        this.buffer = [...batch, ...this.buffer]
        this.timer ??= setTimeout(() => void this.flush(), 1_000).unref()
      } else this.dropped += batch.length
      this.log.error({ err: { message: (error as Error).message, code: (error as { code?: string }).code }, entries: batch.length },
        'audit entries not written yet; retrying')
    }
  }
}
