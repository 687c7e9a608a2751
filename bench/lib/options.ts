// The bench's knobs (BENCH_* variables), checked once: a typo'd value fails with the variable's name.
export interface BenchOptions {
  rows: number
  rounds: number
  httpConcurrency: number
  readUsers: number
  readConnections: number
  readSeconds: number
  readWarmupSeconds: number
  readInProcess: boolean
  splits: boolean
  /** BENCH_ONLY: the sections to run (undefined: all). */
  only: string[] | undefined
}

/** A BENCH_* integer knob: `fallback` when unset, an error naming the variable when it is not an integer ≥ min. */
export function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}=${raw}: must be an integer >= ${min}`)
  return value
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (raw !== '0' && raw !== '1') throw new Error(`${name}=${raw}: must be 0 or 1`)
  return raw === '1'
}

export function benchOptions(env: NodeJS.ProcessEnv): BenchOptions {
  return {
    rows: int(env, 'BENCH_ROWS', 200_000, 1),
    rounds: int(env, 'BENCH_ROUNDS', 4, 1),
    httpConcurrency: int(env, 'BENCH_HTTP_CONCURRENCY', 1, 1),
    readUsers: int(env, 'BENCH_READ_USERS', 10, 1),
    readConnections: int(env, 'BENCH_READ_CONNECTIONS', 50, 1),
    readSeconds: int(env, 'BENCH_READ_SECONDS', 10, 1),
    readWarmupSeconds: int(env, 'BENCH_READ_WARMUP_SECONDS', 2, 1),
    readInProcess: flag(env, 'BENCH_READ_IN_PROCESS', true),
    splits: flag(env, 'BENCH_SPLITS', false),
    only: env.BENCH_ONLY ? env.BENCH_ONLY.split(',').map((name) => name.trim()).filter(Boolean) : undefined,
  }
}
