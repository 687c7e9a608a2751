// CPU seconds spent during a measured span, by party: this process, child processes, the PostgreSQL backends of this
// database, and the whole machine (busy of total: the 2 cores' capacity over the span). Linux /proc only; elsewhere
// the figures are 0. Where the time goes, when a figure misses its target.
import { readFileSync } from 'node:fs'
import type { Sql } from '../../src/db/connect.js'

const TICK_S = 0.01 // USER_HZ is 100 on Linux x86-64 and arm64

function ticks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12]) // utime + stime
  } catch {
    return 0 // exited, or not Linux
  }
}

/** Busy and total ticks of all CPUs (/proc/stat's first line; iowait counts as idle). */
function machine(): { busy: number; total: number } {
  try {
    const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/)
    const n = values.map(Number)
    const total = n.slice(0, 8).reduce((a, b) => a + b, 0)
    return { busy: total - n[3]! - n[4]!, total }
  } catch {
    return { busy: 0, total: 0 }
  }
}

async function backends(sql: Sql): Promise<Map<number, number>> {
  const rows = await sql<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`
  return new Map(rows.map(({ pid }) => [pid, ticks(pid)]))
}

export interface CpuSeconds {
  benchProcess: number
  /** Child worker processes (absent when the worker runs in this process: then it is part of benchProcess). */
  workerProcesses?: number
  simulator: number
  postgres: number
  machineBusy: number
  machineTotal: number
}

export interface CpuSnapshot {
  /** Child pids started after the snapshot count from their start. */
  stop(childPids: number[]): Promise<CpuSeconds>
}

export async function cpuSnapshot(sql: Sql, simPid: number): Promise<CpuSnapshot> {
  const pgBefore = await backends(sql)
  const simBefore = ticks(simPid)
  const self = process.cpuUsage()
  const machineBefore = machine()
  return {
    async stop(childPids) {
      const selfUs = process.cpuUsage(self)
      const m = machine()
      const sim = ticks(simPid) - simBefore
      const children = childPids.reduce((sum, pid) => sum + ticks(pid), 0)
      let pg = 0
      // A backend opened during the span counts from zero; one closed during it is lost (pools keep theirs).
      for (const [pid, now] of await backends(sql)) pg += now - (pgBefore.get(pid) ?? 0)
      const s = (t: number) => Math.round(t * TICK_S * 10) / 10
      return {
        benchProcess: Math.round((selfUs.user + selfUs.system) / 1e5) / 10,
        ...(childPids.length > 0 && { workerProcesses: s(children) }),
        simulator: s(sim),
        postgres: s(pg),
        machineBusy: s(m.busy - machineBefore.busy),
        machineTotal: s(m.total - machineBefore.total),
      }
    },
  }
}
