// CPU time spent per request by each party of a load run: the server process, the PostgreSQL backends of the
// server's pool, and this process (the load generator). Req/s ratios hide where the time goes and move with
// whatever else runs on the box; CPU per request is the cost itself. Linux only (/proc); elsewhere left out.
import { readFileSync } from 'node:fs'
import type { Sql } from '../../src/db/connect.js'

const TICK_US = 10_000 // USER_HZ is 100 on Linux x86-64 and arm64: /proc times are in 10 ms ticks

/**
 * The servers under load connect with this application_name (set through DATABASE_URL, which postgres.js reads
 * connection parameters from), so their backends are told apart from everyone else's on a shared cluster.
 */
export const SERVER_APPLICATION_NAME = 'glucose-bench-server'

export function serverDatabaseUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl)
  url.searchParams.set('application_name', SERVER_APPLICATION_NAME)
  return url.toString()
}

export interface CpuPerRequest {
  serverUs?: number // absent when the server runs in this process (then it is part of loadGeneratorUs)
  postgresUs: number
  loadGeneratorUs: number
}

// utime + stime of a process, in ticks (fields 14 and 15; the name in parentheses may contain spaces).
function ticks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return undefined // exited meanwhile
  }
}

async function serverBackends(sql: Sql): Promise<Map<number, number>> {
  const rows = await sql<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE application_name = ${SERVER_APPLICATION_NAME}`
  const found = new Map<number, number>()
  for (const { pid } of rows) {
    const t = ticks(pid)
    if (t !== undefined) found.set(pid, t)
  }
  return found
}

/** Starts counting; the returned function stops and divides by the requests answered meanwhile. */
export async function countCpu(sql: Sql, serverPid: number | undefined): Promise<(requests: number) => Promise<CpuPerRequest | undefined>> {
  if (process.platform !== 'linux') return async () => undefined
  const pgBefore = await serverBackends(sql)
  const serverBefore = serverPid === undefined ? undefined : ticks(serverPid)
  const selfBefore = process.cpuUsage()
  return async (requests) => {
    const self = process.cpuUsage(selfBefore)
    const serverAfter = serverPid === undefined ? undefined : ticks(serverPid)
    let pgTicks = 0
    // A backend opened during the run counts from zero; one closed during the run is lost (pools keep theirs open).
    for (const [pid, now] of await serverBackends(sql)) pgTicks += now - (pgBefore.get(pid) ?? 0)
    const per = (us: number) => Math.round(us / Math.max(1, requests))
    return {
      ...(serverBefore !== undefined && serverAfter !== undefined && { serverUs: per((serverAfter - serverBefore) * TICK_US) }),
      postgresUs: per(pgTicks * TICK_US),
      loadGeneratorUs: per(self.user + self.system),
    }
  }
}
