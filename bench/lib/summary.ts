// Targets (PASS/FAIL) and the human table. Two targets are ratios to a ceiling measured in the same run, which
// travel between machines far better than absolute numbers; the third is a latency bound at the run's load.
import type { IngestSplits } from '../scenarios/ingest-splits.js'
import type { ReadFigures } from '../scenarios/reads.js'
import type { StorageFigures } from '../scenarios/storage.js'
import type { LoadFigures } from './load.js'
import type { RoundFigures } from './rounds.js'
import { round, type IngestFigures } from './timing.js'
import { table } from './table.js'

export const TARGETS = { httpIngestVsCopy: 0.7, readsVsHello: 0.35, readsP99Ms: 25 }

export interface Target {
  name: string
  value: number
  target: string
  pass: boolean
}

export function targets(ingest: { copy: RoundFigures; http: RoundFigures }, reads: ReadFigures): Target[] {
  const ingestRatio = round(ingest.http.rowsPerSec / ingest.copy.rowsPerSec, 3)
  const { ratio, readings24h } = reads.child
  return [
    { name: 'HTTP ingest / raw COPY rows/s', value: ingestRatio, target: `>= ${TARGETS.httpIngestVsCopy}`, pass: ingestRatio >= TARGETS.httpIngestVsCopy },
    { name: '24 h read / hello-world req/s', value: ratio, target: `>= ${TARGETS.readsVsHello}`, pass: ratio >= TARGETS.readsVsHello },
    { name: '24 h read p99 ms', value: readings24h.p99Ms, target: `< ${TARGETS.readsP99Ms}`, pass: readings24h.p99Ms < TARGETS.readsP99Ms },
  ]
}

export interface IngestReport {
  batchSize: number
  rounds: number
  copy: RoundFigures & { statements: number; formatMs: number }
  http: RoundFigures & { requests: number; concurrency: number; bodyBytes: number }
  insertValues: RoundFigures & { statements: number; rowsPerStatement: number }
  splits?: IngestSplits
}

interface Report {
  ingest: IngestReport
  reads: ReadFigures
  storage: StorageFigures
}

export function summary(report: Report): string {
  const { copy, http, insertValues } = report.ingest
  const vsCopy = (f: IngestFigures) => `${Math.round((f.rowsPerSec / copy.rowsPerSec) * 100)} %`
  const spread = (f: RoundFigures) => `${Math.min(...f.rowsPerSecByRound).toLocaleString('en-US')}–${Math.max(...f.rowsPerSecByRound).toLocaleString('en-US')}`
  const ingest = table([`ingest, ${report.ingest.rounds} interleaved rounds`, 'rows', 'ms', 'rows/s', 'vs COPY', 'rows/s by round'], [
    ['(a) COPY, 10k-row chunks', copy.rows, Math.round(copy.ms), copy.rowsPerSec, '100 %', spread(copy)],
    [`(b) HTTP POST, ${http.requests} x 10k, concurrency ${http.concurrency}`, http.rows, Math.round(http.ms), http.rowsPerSec, vsCopy(http), spread(http)],
    ['(c) INSERT VALUES 1000/stmt', insertValues.rows, Math.round(insertValues.ms), insertValues.rowsPerSec, vsCopy(insertValues), spread(insertValues)],
  ])
  // Steps timed one by one on the same batches (ingest-splits.ts), next to (b)'s wall time per batch for scale.
  const parts = report.ingest.splits?.msPerBatch
  const ingestSplits = parts
    ? `\n\n${table(['HTTP ingest steps, ms per 10k batch', 'ms'], [
        [`(b) wall time per batch, concurrency ${http.concurrency}`, round(http.ms / http.requests, 1)],
        ['JSON.parse of the body', parts.jsonParse],
        ['validateReadings', parts.validate],
        ['storeReadings (unnest upsert)', parts.storeReadings],
        ['one COPY statement, same rows', parts.copyOneStatement],
      ])}`
    : ''

  const r = report.reads
  const cpu = (us: number | undefined) => (us === undefined ? '-' : us)
  const loadRow = (name: string, f: LoadFigures, base: LoadFigures): (string | number)[] => [
    name, f.reqPerSec, f.p50Ms, f.p99Ms, `${Math.round((f.reqPerSec / base.reqPerSec) * 100)} %`, f.non2xx + f.errors,
    cpu(f.cpuUsPerRequest?.serverUs), cpu(f.cpuUsPerRequest?.postgresUs), cpu(f.cpuUsPerRequest?.loadGeneratorUs),
  ]
  const rows = [loadRow('hello-world (child process)', r.child.hello, r.child.hello), loadRow('GET 24 h (child process)', r.child.readings24h, r.child.hello)]
  for (const [name, f] of Object.entries(r.child.splits ?? {})) rows.push(loadRow(`  split: ${name}`, f, r.child.hello))
  if (r.inProcess) {
    rows.push(loadRow('hello-world (in process)', r.inProcess.hello, r.inProcess.hello), loadRow('GET 24 h (in process)', r.inProcess.readings24h, r.inProcess.hello))
  }
  const byCpu = (f: { ratioByCpu?: number }) => (f.ratioByCpu === undefined ? '' : `; ratio from CPU per request ${Math.round(f.ratioByCpu * 100)} %`)
  const reads = table([`reads: ${r.connections} connections, ${r.seconds} s, ${r.users} users`, 'req/s', 'p50 ms', 'p99 ms', 'vs hello', 'errors', 'CPU µs/req: server', 'postgres', 'autocannon'], rows) +
    `\nchild process: hello-world and the read alternate in segments${byCpu(r.child)}`

  const s = report.storage
  const storage = table(['storage', 'rows', 'chunks', 'bytes/reading', 'heap', 'index', 'index after REINDEX'], [
    ['probe hypertable after VACUUM ANALYZE', s.rows, s.chunks, s.bytesPerReading, s.heapBytesPerReading, s.indexBytesPerReading, s.reindexedIndexBytesPerReading],
  ])
  return [ingest + ingestSplits, reads, storage].join('\n\n')
}

/** Every target of the run, core and sections, as the summary's last table. */
export function verdicts(all: Target[]): string {
  return table(['target', 'value', 'target', 'result'], all.map((t) => [t.name, t.value, t.target, t.pass ? 'PASS' : 'FAIL']))
}
