// Upload bodies in the shapes real uploaders send, built from the clients' source code:
//  - xDrip+ (NightscoutFoundation/xDrip, app/src/main/java/com/eveningoutpost/dexdrip/utilitymodels/
//    NightscoutUploader.java, populateV1APIBGEntry / populateV1APIMeterReadingEntry / populateV1APICalibrationEntry):
//    sgv, mbg and cal entries in one array; dateString and sysTime as "yyyy-MM-dd'T'HH:mm:ss.SSSZ" in the phone's
//    zone (offset without a colon); filtered/unfiltered x1000, rssi 100, noise, delta.
//  - Juggluco (j-kaltes/Juggluco, Common/src/main/cpp/net/watchserver/uploader.cpp mkuploaditem, datestring.h):
//    {"type","device","dateString","date","sgv","delta","direction","noise","filtered","unfiltered","rssi"}, the
//    dateString in local time with "+01:00", device the sensor's short name; up to 10,440 entries a request.
//  - nightscout-librelink-up (timoschlueter/nightscout-librelink-up, src/index.ts createFormattedMeasurements):
//    the current measurement with a direction first, then the graph history without one; dateString in UTC.
//  - Dexcom Share bridges (share2nightscout-bridge) add a numeric `trend` beside `direction`.
import { MINUTE_MS } from '../../src/simulators/realistic-trace.js'

export const STEP_MS = 5 * MINUTE_MS

/** `count` slot times on the 5-minute grid, oldest first, the newest `endMinutesAgo` before now. */
export function slots(count: number, endMinutesAgo = 0): number[] {
  const end = Math.floor(Date.now() / STEP_MS) * STEP_MS - endMinutesAgo * MINUTE_MS
  return Array.from({ length: count }, (_, i) => end - (count - 1 - i) * STEP_MS)
}

/** A time in a fixed zone, as Java's SimpleDateFormat "…SSSZ" (`+0100`) or with a colon (`+01:00`). */
export function localIso(ms: number, offsetMinutes: number, colon: boolean): string {
  const local = new Date(ms + offsetMinutes * MINUTE_MS).toISOString().slice(0, 23)
  const sign = offsetMinutes < 0 ? '-' : '+'
  const h = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0')
  const m = String(Math.abs(offsetMinutes) % 60).padStart(2, '0')
  return `${local}${sign}${h}${colon ? ':' : ''}${m}`
}

export const valueAt = (i: number) => 100 + ((i * 7) % 60)

export function xdripBody(times: number[], opts: { withMeterAndCalibration?: boolean } = {}) {
  const device = 'xDrip-DexcomG6'
  const entries: Record<string, unknown>[] = times.map((date, i) => ({
    device, date, dateString: localIso(date, 60, false), sgv: valueAt(i), delta: 1.5, direction: i % 2 ? 'FortyFiveUp' : 'Flat',
    type: 'sgv', filtered: valueAt(i) * 1000 + 352.5, unfiltered: valueAt(i) * 1000 - 120.25, rssi: 100, noise: 1,
    sysTime: localIso(date, 60, false),
  }))
  if (opts.withMeterAndCalibration) {
    const date = times[times.length - 1]! - 60_000
    entries.push(
      { device, type: 'mbg', date, dateString: localIso(date, 60, false), mbg: 118, sysTime: localIso(date, 60, false) },
      { device, type: 'cal', date, dateString: localIso(date, 60, false), slope: 812.3, intercept: 31_000, scale: 1, sysTime: localIso(date, 60, false) },
    )
  }
  return entries
}

export function jugglucoBody(times: number[], sensor = '3MH00ABCDEF') {
  return times.map((date, i) => ({
    type: 'sgv', device: sensor, dateString: localIso(date, 60, true), date, sgv: valueAt(i), delta: -1.993,
    direction: 'SingleDown', noise: 1, filtered: valueAt(i) * 1000, unfiltered: valueAt(i) * 1000, rssi: 100,
  }))
}

/** Newest first, only the newest with a direction (the LibreLinkUp graph history has no arrows). */
export function libreLinkUpBody(times: number[]) {
  const newestFirst = [...times].reverse()
  return newestFirst.map((date, i) => ({
    type: 'sgv', dateString: new Date(date).toISOString(), date, sgv: valueAt(i), ...(i === 0 && { direction: 'FortyFiveDown' }),
  }))
}
