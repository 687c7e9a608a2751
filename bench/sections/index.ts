// The sections `npm run bench` runs after the core ingest/read/storage scenarios, in this order.
// BENCH_ONLY=name[,name] runs only those (`core` names the core scenarios).
import { analyticsReportSection } from './analytics-report.js'
import { liveStreamSection } from './live-stream.js'
import { loadSection } from './load.js'
import { mealResponsesSection } from './meal-responses.js'
import { nightscoutUploadSection } from './nightscout-upload.js'
import type { BenchSection } from './section.js'
import { syncScaleSection } from './sync-scale.js'

export const SECTIONS: BenchSection[] = [nightscoutUploadSection, analyticsReportSection, mealResponsesSection, syncScaleSection, liveStreamSection, loadSection]

export function selectedSections(only: string[] | undefined): BenchSection[] {
  if (!only) return SECTIONS
  const known = new Set(['core', ...SECTIONS.map((s) => s.name)])
  for (const name of only) if (!known.has(name)) throw new Error(`BENCH_ONLY=${only.join(',')}: unknown section "${name}" (known: ${[...known].join(', ')})`)
  return SECTIONS.filter((s) => only.includes(s.name))
}
