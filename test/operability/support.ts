// The app for the operability tests (test/helpers.ts startApp, whose Fastify instance gives the registered routes
// and inject with a chosen client address), and Prometheus text read back.
import type { Test } from 'tap'
import type { Config } from '../../src/config.js'
import { startApp } from '../helpers.js'

export async function startOpsApp(t: Test, overrides: Partial<Config> = {}) {
  return startApp(t, overrides)
}

/** The value of the sample `name{labels}` in Prometheus text (labels: all of these, others ignored); 0 if absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total: number | undefined
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]))
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) total = (total ?? 0) + Number(match[3])
  }
  return total ?? 0
}
