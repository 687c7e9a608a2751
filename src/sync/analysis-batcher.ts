// The analysis jobs of a worker's syncs, inserted together: a sync's span waits up to `delayMs` for others and
// they go in as one INSERT (pg-boss `insert`). pg-boss's `send` is one unprepared statement per job, ~1.3 ms of
// PostgreSQL CPU each in the sync-scale bench, on every sync that stored a reading; a batch of 20 costs about what
// one did. Spans of one user in one batch become one job over both (the analysis is idempotent over any span).
// A sync's job still completes only once its span is in the queue: `enqueue` resolves after the INSERT, and
// rejects with its error, as `send` did.
import type { PgBoss } from 'pg-boss'
import { ANALYSIS_QUEUE, analysisJobData, type ChangedSpan } from './queues.js'

export interface AnalysisBatcher {
  /** Resolves once the span is in the analysis queue. */
  enqueue(span: ChangedSpan): Promise<void>
  /** Inserts whatever waits, now (a worker's stop). */
  flush(): Promise<void>
}

export function analysisBatcher(boss: PgBoss, options: { delayMs?: number; maxJobs?: number } = {}): AnalysisBatcher {
  const delayMs = options.delayMs ?? 20
  const maxJobs = options.maxJobs ?? 100
  let pending = new Map<string, ChangedSpan>() // by user
  let waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = []
  let timer: NodeJS.Timeout | undefined

  const flush = async (): Promise<void> => {
    if (timer) clearTimeout(timer)
    timer = undefined
    if (pending.size === 0) return
    const spans = pending
    const settle = waiters
    pending = new Map()
    waiters = []
    try {
      await boss.insert(ANALYSIS_QUEUE, [...spans.values()].map((span) => ({ data: analysisJobData(span) })))
      for (const waiter of settle) waiter.resolve()
    } catch (error) {
      for (const waiter of settle) waiter.reject(error)
    }
  }

  return {
    enqueue(span) {
      const had = pending.get(span.userId)
      pending.set(span.userId, had
        ? { userId: span.userId, from: had.from < span.from ? had.from : span.from, to: had.to > span.to ? had.to : span.to }
        : span)
      const inserted = new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }))
      if (pending.size >= maxJobs) void flush()
      else timer ??= setTimeout(() => void flush(), delayMs)
      return inserted
    },
    flush,
  }
}
