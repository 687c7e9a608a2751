// Sends webhook deliveries as pg-boss jobs. Deliveries are born in the outbox (webhook_deliveries, status pending,
// written with their events: src/live/events.ts); a dispatcher in each worker process claims pending rows
// (SKIP LOCKED: each once, across processes) and sends one job each. A job makes one attempt; a failed attempt
// fails the job, and pg-boss retries it with exponential backoff (retryDelay doubling, at most an hour).
import type { FastifyBaseLogger } from 'fastify'
import type { PgBoss } from 'pg-boss'
import type { Sql } from '../../db/connect.js'
import type { CredentialCipher } from '../../providers/crypto.js'
import { attemptDelivery, type DeliveryPolicy } from './deliver.js'

export const WEBHOOK_QUEUE = 'deliver-webhook'

export interface WebhookWorkerOptions extends DeliveryPolicy {
  /** First retry delay; pg-boss doubles it per retry (retryBackoff). */
  retryDelaySeconds: number
  dispatchEveryMs: number
}

export const DEFAULT_WEBHOOK_OPTIONS: Omit<WebhookWorkerOptions, 'allowPrivateHosts'> = {
  maxAttempts: 8, // 30 s, 1, 2, 4, 8, 16, 32 min: about an hour of trying
  disableAfterFailures: 20,
  timeoutMs: 10_000,
  retryDelaySeconds: 30,
  dispatchEveryMs: 500,
}

const CLAIM_BATCH = 200

export async function startWebhookWorker(deps: { boss: PgBoss; sql: Sql; cipher: CredentialCipher; log: FastifyBaseLogger; options: WebhookWorkerOptions }) {
  const { boss, sql, cipher, log, options } = deps
  await boss.createQueue(WEBHOOK_QUEUE, { policy: 'standard', deleteAfterSeconds: 3600 })
  await boss.work<{ deliveryId: number }>(WEBHOOK_QUEUE, { batchSize: 1, localConcurrency: 4, pollingIntervalSeconds: 0.5 }, async ([job]) => {
    const outcome = await attemptDelivery(sql, cipher, job!.data.deliveryId, options)
    // The status code only: the endpoint's answer body is the receiver's business, and never logged.
    if (outcome.result === 'retry') throw new Error(`webhook delivery ${job!.data.deliveryId} failed (${outcome.statusCode ?? 'no answer'}); retrying`)
  })

  let running: Promise<void> | undefined
  const dispatch = async () => {
    const claimed = await sql<{ id: string }[]>`
      UPDATE webhook_deliveries SET status = 'queued'
      WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' ORDER BY id LIMIT ${CLAIM_BATCH} FOR UPDATE SKIP LOCKED)
      RETURNING id`
    for (const { id } of claimed) {
      const sent = await boss.send(WEBHOOK_QUEUE, { deliveryId: Number(id) }, {
        retryLimit: options.maxAttempts - 1, retryDelay: options.retryDelaySeconds, retryBackoff: true, retryDelayMax: 3600,
      }).catch(() => null)
      // Not queued (the database hiccuped): back to pending, the next round tries again.
      if (!sent) await sql`UPDATE webhook_deliveries SET status = 'pending' WHERE id = ${id} AND attempts = 0`
    }
  }
  const timer = setInterval(() => {
    running ??= dispatch()
      .catch((error: Error) => log.error({ err: { message: error.message } }, 'webhooks: dispatch failed'))
      .finally(() => {
        running = undefined
      })
  }, options.dispatchEveryMs)

  return {
    async stop() {
      clearInterval(timer)
      await running
      await boss.offWork(WEBHOOK_QUEUE, { wait: true })
    },
  }
}
