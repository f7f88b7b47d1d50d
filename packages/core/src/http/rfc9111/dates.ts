/**
 * HTTP dates (RFC 9110 §5.6.7): the IMF-fixdate, and the two obsolete formats every recipient
 * must accept, RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
 * (`Sun Nov  6 08:49:37 1994`). Anything else is not a date: RFC 9111 §5.3 then has caches treat
 * an `Expires` as already past.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
const LONG_DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday']

const IMF = /^(\w{3}), (\d{2}) (\w{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/i
const RFC850 = /^(\w{6,9}), (\d{2})-(\w{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/i
const IMF_DJANGO = /^(\w{3}), (\d{2}) (\w{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/
const RFC850_DJANGO = /^(\w{6,9}), (\d{2})-(\w{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/
const ASCTIME = /^(\w{3}) (\w{3}) ( \d|\d{2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/

/** How strictly `parseHttpDateStrict` reads names. */
export interface DateOptions {
  /**
   * Require a day name (`Sun`…`Sat`; `Sunday`… in RFC 850). Whether it is the right day is not
   * checked (robustness, §5.6.7). Default true. Django's `parse_http_date` accepts any `\w{3}`;
   * its helpers pass false.
   */
  weekday?: boolean
  /**
   * Read as Django's `parse_http_date` does (`django/utils/http.py`): any `\w{3}` day name, `GMT`
   * as written, seconds up to 59. Default false.
   */
  django?: boolean
  /** The current year, for RFC 850's two-digit years. Default: now. */
  currentYear?: number
}

/**
 * An HTTP-date in any of RFC 9110 §5.6.7's three formats as epoch ms, or `undefined`. Names are
 * read case-insensitively (§5.6.7 asks recipients to be robust); fields must be in range. A
 * two-digit RFC 850 year more than 50 years ahead is in the previous century (§5.6.7).
 */
export function parseHttpDateStrict(
  value: string | null | undefined,
  options: DateOptions = {},
): number | undefined {
  if (!value) return undefined
  const s = value.trim()
  let day: string
  let mon: string
  let year: number
  let hms: [string, string, string]
  let dayName: string
  const dj = options.django === true
  let m = (dj ? IMF_DJANGO : IMF).exec(s)
  if (m) {
    ;[, dayName, day, mon] = m as unknown as [string, string, string, string]
    year = Number(m[4])
    hms = [m[5], m[6], m[7]] as [string, string, string]
  } else if ((m = (dj ? RFC850_DJANGO : RFC850).exec(s))) {
    ;[, dayName, day, mon] = m as unknown as [string, string, string, string]
    const current = options.currentYear ?? new Date().getUTCFullYear()
    year = Math.floor(current / 100) * 100 + Number(m[4])
    if (year > current + 50) year -= 100
    hms = [m[5], m[6], m[7]] as [string, string, string]
  } else if ((m = ASCTIME.exec(s))) {
    ;[, dayName, mon, day] = m as unknown as [string, string, string, string]
    year = Number(m[7])
    hms = [m[4], m[5], m[6]] as [string, string, string]
  } else {
    return undefined
  }
  const month = MONTHS.indexOf(mon.toLowerCase())
  const d = Number(day.trim())
  const [hh, mm, ss] = hms.map(Number) as [number, number, number]
  if (month === -1 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > (dj ? 59 : 60)) return undefined
  const t = Date.UTC(year, month, d, hh, mm, Math.min(ss, 59))
  const date = new Date(t)
  // 31 Feb rolls over into March: not a date.
  if (Number.isNaN(t) || date.getUTCDate() !== d) return undefined
  if (
    !dj &&
    (options.weekday ?? true) &&
    !(dayName.length > 3 ? LONG_DAYS : DAYS).includes(dayName.toLowerCase())
  ) {
    return undefined
  }
  // Years before 100 would be read by Date.UTC as 19xx.
  return year < 100 ? undefined : t
}
