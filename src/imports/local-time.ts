// Local wall-clock times from export files (LibreView, Clarity, Nutrisense, Levels' local column) carry no zone:
// they are read in the user's IANA zone. Twice a year a wall time is not one instant, and the policy is deliberate:
// - gap (spring forward, e.g. 02:30 in Europe/Berlin on the last Sunday of March does not exist): read with the
//   offset in force before the change, i.e. 02:30 CET = 03:30 CEST. A device that still shows 02:30 has not yet
//   moved its clock, so the pre-change offset is the instant it meant (Temporal's 'compatible' rule does the same).
// - overlap (fall back, 02:00–02:59 happens twice): the candidate nearer to the previous row's instant wins. CGM
//   exports are sorted (ascending: LibreView, Clarity, Levels; descending: Nutrisense) and sampled every 1–15 min,
//   so the nearer candidate keeps the repeated hour as two distinct hours instead of folding the second onto the
//   first. This needs rows less than 30 minutes apart around the change (sparser rows may land in the wrong
//   pass). With no previous row, or a tie, the earlier instant is taken.

export interface WallTime {
  year: number
  month: number // 1–12
  day: number
  hour: number
  minute: number
  second: number
}

const DAY_MS = 24 * 60 * 60 * 1000
const formatters = new Map<string, Intl.DateTimeFormat>()

/** Throws a RangeError naming the zone when `zone` is not an IANA name this runtime knows. */
export function checkTimeZone(zone: string): void {
  formatter(zone)
}

/** The wall time as epoch ms if it were UTC, or undefined when it is not a calendar date (Feb 30, 25:00). */
export function wallAsUtc(w: WallTime): number | undefined {
  const ms = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)
  const d = new Date(ms)
  const ok = d.getUTCFullYear() === w.year && d.getUTCMonth() === w.month - 1 && d.getUTCDate() === w.day &&
    d.getUTCHours() === w.hour && d.getUTCMinutes() === w.minute && d.getUTCSeconds() === w.second
  return ok ? ms : undefined
}

/** Converts a file's wall times to instants in one zone, remembering the previous row for the overlap rule. */
export class LocalClock {
  private previous: number | undefined

  constructor(readonly zone: string) {
    checkTimeZone(zone)
  }

  /** Epoch ms of `w` in this zone, or undefined when `w` is not a calendar date. */
  toInstant(w: WallTime): number | undefined {
    const wall = wallAsUtc(w)
    if (wall === undefined) return undefined
    const before = offsetAt(this.zone, wall - DAY_MS)
    const after = offsetAt(this.zone, wall + DAY_MS)
    const candidates = [...new Set([before, after])].map((o) => wall - o).filter((t) => wall - offsetAt(this.zone, t) === t)
    let instant: number
    if (candidates.length === 0) instant = wall - before // gap
    else if (candidates.length === 1 || this.previous === undefined) instant = Math.min(...candidates)
    else {
      const [a, b] = candidates.sort((x, y) => x - y) as [number, number]
      instant = Math.abs(b - this.previous) < Math.abs(a - this.previous) ? b : a
    }
    this.previous = instant
    return instant
  }
}

/** The zone's UTC offset in ms at `utcMs` (positive east of Greenwich). */
function offsetAt(zone: string, utcMs: number): number {
  const parts = formatter(zone).formatToParts(new Date(utcMs))
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value)
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'))
  return asUtc - Math.floor(utcMs / 1000) * 1000
}

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone)
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
        hour: 'numeric', minute: 'numeric', second: 'numeric',
      })
    } catch {
      throw new RangeError(`unknown time zone "${zone}"; use an IANA name such as Europe/Berlin`)
    }
    formatters.set(zone, f)
  }
  return f
}
