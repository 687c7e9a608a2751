// Dates and time ticks in the user's time zone (users.timezone, an IANA name PostgreSQL accepted). Charts label
// local clock times, as the AGP and every CGM app do; the instants plotted stay UTC.
const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${timeZone}|${JSON.stringify(options)}`
  let f = formatters.get(key)
  if (!f) {
    // A zone PostgreSQL knows but this Node's ICU does not (rare, e.g. retired aliases) falls back to UTC rather
    // than failing the chart.
    try {
      f = new Intl.DateTimeFormat('en-GB', { ...options, timeZone, hourCycle: 'h23' })
    } catch {
      f = new Intl.DateTimeFormat('en-GB', { ...options, timeZone: 'UTC', hourCycle: 'h23' })
    }
    formatters.set(key, f)
  }
  return f
}

/** "6 Jan 2025" */
export const formatDate = (d: Date, tz: string) => formatter(tz, { day: 'numeric', month: 'short', year: 'numeric' }).format(d)
/** "08:05" */
export const formatTime = (d: Date, tz: string) => formatter(tz, { hour: '2-digit', minute: '2-digit' }).format(d)
/** "Mon 6 Jan" */
export const formatDay = (d: Date, tz: string) => formatter(tz, { weekday: 'short', day: 'numeric', month: 'short' }).format(d)

interface LocalParts { hour: number; minute: number; dayNumber: number }

/** Local hour, minute and a day counter (days since the epoch of the local calendar date) of an instant. */
function localParts(d: Date, tz: string): LocalParts {
  const parts = formatter(tz, { year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' }).formatToParts(d)
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value)
  return { hour: get('hour'), minute: get('minute'), dayNumber: Date.UTC(get('year'), get('month') - 1, get('day')) / 86_400_000 }
}

export interface TimeTick { time: Date; label: string; midnight: boolean }

// Tick steps in hours: the first that gives at most `maxTicks` ticks over the span is used.
const STEPS_H = [1, 2, 3, 6, 12, 24, 48, 72, 168]

/**
 * Ticks on local clock boundaries (whole hours, multiples of the step; days at local midnight), found by walking a
 * 15-minute UTC grid: every zone offset in use is a multiple of 15 minutes, so every local whole hour is on it, and
 * DST days come out right without date arithmetic.
 */
export function timeTicks(from: Date, to: Date, tz: string, maxTicks = 8): TimeTick[] {
  const spanH = (to.getTime() - from.getTime()) / 3_600_000
  const step = STEPS_H.find((s) => spanH / s <= maxTicks) ?? Math.ceil(spanH / maxTicks / 24) * 24
  const grid = 15 * 60_000
  const ticks: TimeTick[] = []
  for (let t = Math.ceil(from.getTime() / grid) * grid; t <= to.getTime(); t += grid) {
    const d = new Date(t)
    const p = localParts(d, tz)
    if (p.minute !== 0) continue
    const midnight = p.hour === 0
    const take = step < 24 ? p.hour % step === 0 : midnight && p.dayNumber % (step / 24) === 0
    if (take) ticks.push({ time: d, label: step < 24 ? formatTime(d, tz) : formatDay(d, tz), midnight })
  }
  return ticks
}
