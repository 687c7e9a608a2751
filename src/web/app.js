// The web view's one module (served as written, no build step). It talks to the public API with the bearer token
// the user pasted, kept in sessionStorage (gone when the tab closes). Every text from the server is put into the
// page with textContent, never as HTML; the charts arrive as SVG and are shown through <img>, which runs no script.
const TOKEN_KEY = 'glucose.token'
// The privacy-policy version a user agrees to when connecting a provider from this page (recorded per consent).
const POLICY_VERSION = 'web-2026-01'
const MG_PER_MMOL = 18.0182
const MINUTE = 60_000
const MEALS_SHOWN = 8
// Default sizes and the smallest each SVG endpoint draws (src/routes/glucose/charts.ts).
const CHARTS = {
  trend: { size: [900, 360], min: [320, 200] },
  agp: { size: [900, 560], min: [560, 360] },
  meal: { size: [640, 400], min: [320, 240] },
}
const DAY = 24 * 60 * MINUTE
const PROVIDERS = { dexcom: 'Dexcom', 'libre-link-up': 'LibreLinkUp', nightscout: 'Nightscout' }
const ARROWS = { doubleUp: '⇈', singleUp: '↑', fortyFiveUp: '↗', flat: '→', fortyFiveDown: '↘', singleDown: '↓', doubleDown: '⇊' }
const TREND_WORDS = { doubleUp: 'rising fast', singleUp: 'rising', fortyFiveUp: 'rising slowly', flat: 'steady', fortyFiveDown: 'falling slowly', singleDown: 'falling', doubleDown: 'falling fast' }
// Where the OAuth callback sends the browser back (src/routes/connections): a fixed code, never a message.
const CONNECT_RESULTS = {
  connected: 'connected. The first sync starts within a minute; readings appear as they arrive.',
  declined: 'not connected: the login was declined, or the link expired or was already used. Try again.',
  limited: 'not connected: too many attempts. Wait 15 minutes and try again.',
  unavailable: 'not connected: the provider could not be reached or refused the login. Try again later.',
}

const $ = (id) => document.getElementById(id)
const state = { token: sessionStorage.getItem(TOKEN_KEY), me: null, latest: null, responses: new Map() }

/** An element with attributes and children (strings become text nodes). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? '' : String(v))
  el.append(...children.filter((c) => c !== null && c !== undefined && c !== false))
  return el
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status }
}

async function failure(res) {
  let message = `HTTP ${res.status}`
  try { message = (await res.json()).message ?? message } catch { /* not JSON */ }
  if (res.status === 401) signOut(`The server refused the token (${message}). Sign in again.`)
  return new ApiError(res.status, message)
}

async function api(path, { method = 'GET', body, raw = false } = {}) {
  const headers = { authorization: `Bearer ${state.token}` }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  if (!res.ok) throw await failure(res)
  if (raw) return res
  return res.status === 204 ? null : res.json()
}

// ---- formatting: the user's unit and time zone ----
const unit = () => state.me?.preferredUnit ?? 'mg/dL'
const inUnit = (mgdl) => (unit() === 'mmol/L' ? (mgdl / MG_PER_MMOL).toFixed(1) : String(Math.round(mgdl)))
const withUnit = (mgdl) => (mgdl === null || mgdl === undefined ? '–' : `${inUnit(mgdl)} ${unit()}`)
const area = (v) => (v === null || v === undefined ? '–' : `${Math.round(unit() === 'mmol/L' ? v / MG_PER_MMOL : v).toLocaleString()} ${unit()}·min`)
const minutes = (v) => (v === null || v === undefined ? '–' : `${Math.round(v)} min`)
const band = (mgdl) => (mgdl < 70 ? 'band-low' : mgdl > 180 ? 'band-high' : 'band-in')

function dateFormat(options) {
  try { return new Intl.DateTimeFormat(undefined, { ...options, timeZone: state.me?.timezone }) } catch { return new Intl.DateTimeFormat(undefined, options) }
}
const when = (iso) => dateFormat({ weekday: 'short', hour: '2-digit', minute: '2-digit' }).format(new Date(iso))

function ago(seconds) {
  if (seconds < 90) return 'just now'
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`
  if (seconds < 2 * 86400) return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min ago`
  return `${Math.round(seconds / 86400)} days ago`
}
const agoIso = (iso) => (iso ? ago((Date.now() - Date.parse(iso)) / 1000) : 'never')

/** Midnight of today in the user's zone (an hour off on a DST-change day, which a chart's start can bear). */
function startOfToday() {
  const now = new Date()
  const parts = Object.fromEntries(dateFormat({ hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' })
    .formatToParts(now).map((p) => [p.type, Number(p.value)]))
  return new Date(Math.floor(now.getTime() / 1000) * 1000 - ((parts.hour * 60 + parts.minute) * 60 + parts.second) * 1000)
}

function notify(text, isError = false) {
  const el = $('notice')
  el.textContent = text
  el.classList.toggle('error', isError)
  el.hidden = false
}

function formMessage(form, text, isError = false) {
  let el = form.querySelector('.form-message')
  if (!el) form.append((el = h('p', { class: 'form-message', role: 'status' })))
  el.textContent = text
  el.classList.toggle('error', isError)
}

// ---- sign in / out ----
function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY)
  state.token = null
  state.me = null
  $('dashboard').hidden = true
  $('sign-out').hidden = true
  $('who').textContent = ''
  $('sign-in').hidden = false
  $('sign-in-error').textContent = message ?? ''
}

async function signIn(event) {
  event.preventDefault()
  state.token = $('token').value.trim().replace(/^Bearer\s+/i, '')
  try {
    state.me = await api('/api/v1/me')
    sessionStorage.setItem(TOKEN_KEY, state.token)
    $('token').value = ''
    await show()
  } catch (error) {
    if (error.status !== 401) $('sign-in-error').textContent = `Could not sign in: ${error.message}`
  }
}

async function show() {
  state.me ??= await api('/api/v1/me')
  $('sign-in').hidden = true
  $('dashboard').hidden = false
  $('sign-out').hidden = false
  $('who').textContent = `${state.me.id.slice(0, 8)}… · ${state.me.timezone}`
  $('unit').value = unit()
  await Promise.allSettled([loadNow(), loadTrend(), loadMeals(), loadAgp(), loadInsights(), loadConnections()])
}

// ---- now ----
async function loadNow() {
  try {
    state.latest = { ...(await api('/api/v1/glucose/latest')), receivedAt: Date.now() }
  } catch (error) {
    state.latest = null
    $('now-value').textContent = '–'
    $('now-age').textContent = error.status === 404 ? 'No readings yet: connect a CGM or upload an export below.' : error.message
    return
  }
  renderNow()
}

function renderNow() {
  const r = state.latest
  if (!r) return
  const mgdl = r.unit === 'mmol/L' ? r.value * MG_PER_MMOL : r.value
  $('now-value').textContent = r.unit === 'mmol/L' ? r.value.toFixed(1) : String(r.value)
  $('now-value').className = `value ${band(mgdl)}`
  $('now-unit').textContent = r.unit
  $('now-arrow').textContent = ARROWS[r.trend] ?? ''
  const rate = r.trendRate === null ? '' : ` (${r.trendRate > 0 ? '+' : ''}${r.trendRate} ${r.unit}/min)`
  $('now-trend').textContent = r.trend in TREND_WORDS ? `${TREND_WORDS[r.trend]}${rate}` : ''
  const age = r.ageSeconds + (Date.now() - r.receivedAt) / 1000
  $('now-age').textContent = `${ago(age)} · ${when(r.time)} · ${r.source}`
  $('now-age').classList.toggle('stale', age > 15 * 60)
}

// ---- charts ----
/** Fetches an SVG with the bearer header and shows it as a data: URL in an <img> (CSP img-src allows data:). */
async function loadChart(figure, path, alt, { size: [baseWidth, baseHeight], min: [minWidth, minHeight] }) {
  // Drawn for the space it has (text stays legible on a phone), within the endpoint's bounds; a narrower figure
  // scales the image down.
  redraw.set(figure, { space: figure.clientWidth, again: () => loadChart(figure, path, alt, { size: [baseWidth, baseHeight], min: [minWidth, minHeight] }) })
  const width = Math.min(2400, Math.max(minWidth, Math.round(figure.clientWidth || baseWidth)))
  const height = Math.min(1600, Math.max(minHeight, Math.round((width * baseHeight) / baseWidth)))
  figure.style.aspectRatio = `${width} / ${height}`
  try {
    const res = await api(`${path}${path.includes('?') ? '&' : '?'}width=${width}&height=${height}`, { raw: true })
    const blob = await res.blob()
    const src = await new Promise((resolve, reject) => {
      const reader = new FileReader()
      reader.onload = () => resolve(reader.result)
      reader.onerror = () => reject(reader.error)
      reader.readAsDataURL(blob)
    })
    figure.replaceChildren(h('img', { src, alt, width, height }))
  } catch (error) {
    figure.replaceChildren(h('p', { class: 'placeholder' }, `Chart not available: ${error.message}`))
  }
}

// Charts drawn for one width are redrawn when their space changes by more than 15 % (a phone turned, a window
// resized): scaling an SVG drawn for a phone up to a desktop makes its text huge, and the other way unreadable.
const redraw = new WeakMap()
let resizeTimer
function redrawCharts() {
  for (const figure of document.querySelectorAll('figure.chart')) {
    const drawn = redraw.get(figure)
    if (drawn && figure.clientWidth > 0 && Math.abs(figure.clientWidth - drawn.space) > 0.15 * drawn.space) void drawn.again()
  }
}

function loadTrend() {
  const midnight = startOfToday()
  // Early in the day "today" is nearly empty: show the last 24 hours until there are 3 hours to see.
  const from = Date.now() - midnight.getTime() >= 3 * 3_600_000 ? midnight : new Date(Date.now() - DAY)
  $('trend-h').textContent = from === midnight ? 'Today' : 'Last 24 hours'
  const query = new URLSearchParams({ from: from.toISOString(), to: new Date().toISOString() })
  return loadChart($('trend-chart'), `/api/v1/glucose/trend.svg?${query}`, 'Glucose trend chart', CHARTS.trend)
}

const loadAgp = () => loadChart($('agp-chart'), '/api/v1/glucose/agp.svg', 'Ambulatory glucose profile of the last 14 days', CHARTS.agp)

// ---- meals ----
function mealResponse(id) {
  if (!state.responses.has(id)) state.responses.set(id, api(`/api/v1/meals/${id}/response`))
  return state.responses.get(id)
}

async function loadMeals() {
  const list = $('meals')
  state.responses.clear()
  const from = new Date(Date.now() - 14 * DAY).toISOString()
  let meals
  try {
    ;({ meals } = await api(`/api/v1/meals?${new URLSearchParams({ from, limit: '60' })}`))
  } catch (error) {
    list.replaceChildren(h('li', { class: 'muted' }, `Meals not available: ${error.message}`))
    return
  }
  if (meals.length === 0) return list.replaceChildren(h('li', { class: 'muted' }, 'No meals logged in the last 14 days.'))
  // The newest few first; the rest on request (each shown meal's score is a request, a response computed on first read).
  const shown = meals.slice(0, MEALS_SHOWN)
  list.replaceChildren(...shown.map(mealItem))
  if (meals.length > MEALS_SHOWN) {
    const more = h('button', { type: 'button', class: 'secondary' }, `Show all ${meals.length} meals`)
    more.addEventListener('click', () => {
      more.parentElement.remove()
      const rest = meals.slice(MEALS_SHOWN)
      list.append(...rest.map(mealItem))
      void loadScores(rest)
    })
    list.append(h('li', { class: 'more' }, more))
  }
  await loadScores(shown)
}

/** Three at a time: a response is computed on its first read. */
async function loadScores(meals) {
  const queue = [...meals]
  const next = async () => { for (let meal; (meal = queue.shift());) await showScore(meal).catch(() => {}) }
  await Promise.all([next(), next(), next()])
}

function mealItem(meal) {
  const carbs = meal.totals.carbs === null ? null : h('span', { class: 'carbs' }, `${Math.round(meal.totals.carbs)} g carbs`)
  const summary = h('summary', {},
    h('span', { class: 'when' }, when(meal.eatenAt)),
    h('span', { class: 'name' }, meal.name, carbs),
    h('span', { class: 'score', id: `score-${meal.id}` }, '…'))
  const body = h('div', { class: 'response' })
  const details = h('details', { 'data-meal': meal.id }, summary, body)
  details.addEventListener('toggle', () => {
    if (details.open && !body.dataset.loaded) {
      body.dataset.loaded = 'yes'
      void showResponse(meal, body)
    }
  })
  return h('li', {}, details)
}

async function showScore(meal) {
  const badge = $(`score-${meal.id}`)
  const r = await mealResponse(meal.id)
  badge.textContent = r.score === null ? '–' : String(r.score)
  badge.className = `score ${r.score === null ? '' : r.score >= 70 ? 'good' : r.score >= 40 ? 'fair' : 'poor'}`
  badge.title = r.score === null ? (r.noResponseReason ?? 'no response') : 'response score (100 = no rise)'
}

async function showResponse(meal, body) {
  const figure = h('figure', { class: 'chart meal' })
  body.replaceChildren(figure)
  void loadChart(figure, `/api/v1/glucose/meal-response/${meal.id}.svg`, `Glucose response to ${meal.name}`, CHARTS.meal)
  try {
    const r = await mealResponse(meal.id)
    if (r.noResponseReason) return body.append(h('p', { class: 'muted' }, `No response: ${r.noResponseReason}`))
    const metric = (label, value) => h('div', {}, h('dt', {}, label), h('dd', {}, value))
    body.append(h('dl', { class: 'metrics' },
      metric('Score', r.score === null ? '–' : `${r.score} / 100`),
      metric('Baseline', withUnit(r.baselineMgDl)),
      metric('Peak', `${withUnit(r.peakMgDl)} (+${r.peakRiseMgDl === null ? '–' : inUnit(r.peakRiseMgDl)})`),
      metric('Time to peak', minutes(r.timeToPeakMin)),
      metric('Back to baseline', r.returnToBaselineMin === null ? 'not within 3 h' : minutes(r.returnToBaselineMin)),
      metric('Area 2 h (iAUC)', area(r.iauc2hMgDlMin)),
      metric('Coverage', `${Math.round(r.coveragePct)} %`),
      metric('Source', r.source ?? '–')))
    if (r.flags.length) body.append(h('p', { class: 'flags' }, `Flags: ${r.flags.join(', ').replaceAll('_', ' ')}`))
  } catch (error) {
    body.append(h('p', { class: 'error' }, `Response not available: ${error.message}`))
  }
}

// ---- insights ----
async function loadInsights() {
  const box = $('insights')
  let ins
  try { ins = await api('/api/v1/glucose/insights') } catch (error) {
    return box.replaceChildren(h('p', { class: 'muted' }, `Insights not available: ${error.message}`))
  }
  const out = []
  const problems = ins.foods.filter((f) => f.problem?.isProblem)
  if (problems.length) out.push(h('h3', {}, 'Problem foods'))
  for (const f of problems) {
    out.push(h('p', { class: 'problem' }, h('strong', {}, f.name),
      `: ${area(f.problem.meanAboveOthers)} more over 2 h than your other meals (${f.responses} meals, adjusted p = ${f.problem.adjustedP.toFixed(3)})`))
  }
  if (problems.length === 0) out.push(h('p', { class: 'muted' }, `No problem foods found in ${ins.responses} meal responses (a food needs 3 or more).`))
  if (ins.typical) out.push(h('p', { class: 'muted' }, `Typical meal: score ${Math.round(ins.typical.meanScore)}, 2 h area ${area(ins.typical.medianIauc2h)} (median of ${ins.typical.n}).`))
  const foods = ins.foods.filter((f) => f.iauc2h).sort((a, b) => b.iauc2h.mean - a.iauc2h.mean).slice(0, 8)
  if (foods.length) {
    const row = (f) => h('tr', {}, h('td', {}, f.name), h('td', {}, String(f.meals)),
      h('td', {}, f.score ? String(Math.round(f.score.mean)) : '–'), h('td', {}, area(f.iauc2h.mean).replace(/ .*/, '')),
      h('td', {}, f.personalGlycemicIndex ? String(Math.round(f.personalGlycemicIndex.value)) : '–'))
    out.push(h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Food'), h('th', {}, 'Meals'), h('th', {}, 'Score'), h('th', { title: `${unit()}·min` }, 'Area 2 h'), h('th', { title: 'personal glycemic index (100 = your median per gram of carbohydrate)' }, 'GI'))),
      h('tbody', {}, ...foods.map(row)))))
  }
  box.replaceChildren(...out)
}

// ---- connections ----
async function loadConnections() {
  const list = $('connections')
  let connections
  try { ({ connections } = await api('/api/v1/connections')) } catch (error) {
    return list.replaceChildren(h('li', { class: 'error' }, `Connections not available: ${error.message}`))
  }
  if (connections.length === 0) return list.replaceChildren(h('li', { class: 'muted' }, 'No CGM connected yet.'))
  list.replaceChildren(...connections.map((c) => {
    const sync = h('button', { type: 'button', class: 'secondary' }, 'Sync now')
    const remove = h('button', { type: 'button', class: 'danger' }, 'Disconnect')
    sync.addEventListener('click', () => syncConnection(c, sync))
    remove.addEventListener('click', () => disconnect(c))
    return h('li', { 'data-connection': c.provider },
      h('div', { class: 'head' }, h('strong', {}, PROVIDERS[c.provider] ?? c.provider), h('span', { class: `status ${c.status}` }, c.status.replace('_', ' '))),
      h('p', { class: 'facts' }, `Last sync ${agoIso(c.lastSyncAt)} · newest reading ${agoIso(c.lastReadingAt)} · ${c.readingCount.toLocaleString()} readings${c.region ? ` · region ${c.region}` : ''}`),
      c.lastError ? h('p', { class: 'error small' }, `Last error: ${c.lastError}`) : null,
      h('div', { class: 'actions' }, sync, remove))
  }))
}

async function syncConnection(connection, button) {
  button.disabled = true
  try {
    const result = await api(`/api/v1/connections/${connection.id}/sync`, { method: 'POST' })
    notify(`${PROVIDERS[connection.provider] ?? connection.provider} synced: ${result.readings.inserted} new readings, ${result.meals.inserted} new meals.`)
    await show()
  } catch (error) {
    notify(`Sync failed: ${error.message}`, true)
    await loadConnections()
  } finally { button.disabled = false }
}

async function disconnect(connection) {
  if (!confirm(`Disconnect ${PROVIDERS[connection.provider] ?? connection.provider}? Stored readings are kept.`)) return
  try {
    await api(`/api/v1/connections/${connection.id}`, { method: 'DELETE' })
    notify(`${PROVIDERS[connection.provider] ?? connection.provider} disconnected.`)
  } catch (error) { notify(`Could not disconnect: ${error.message}`, true) }
  await loadConnections()
}

function consented(form) {
  if ($('consent').checked) return true
  formMessage(form, 'Tick the consent box above first.', true)
  return false
}

async function connectDexcom() {
  const box = $('connect-dexcom').parentElement
  if (!consented(box)) return
  try {
    const { authorizeUrl } = await api(`/api/v1/connections/dexcom/authorize?${new URLSearchParams({ consent: POLICY_VERSION })}`)
    const target = new URL(authorizeUrl)
    if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new Error('unexpected login address')
    location.assign(target.href)
  } catch (error) { formMessage(box, `Dexcom: ${error.message}`, true) }
}

async function connectWithCredentials(event, provider) {
  event.preventDefault()
  const form = event.target
  if (!consented(form)) return
  const fields = Object.fromEntries([...new FormData(form)].filter(([, v]) => v !== ''))
  const button = form.querySelector('button')
  button.disabled = true
  formMessage(form, `Connecting ${PROVIDERS[provider]}…`)
  try {
    await api(`/api/v1/connections/${provider}`, { method: 'POST', body: { ...fields, consent: { policyVersion: POLICY_VERSION } } })
    form.reset()
    formMessage(form, `${PROVIDERS[provider]} connected.`)
    await loadConnections()
  } catch (error) { formMessage(form, error.message, true) } finally { button.disabled = false }
}

/** CSV upload with XMLHttpRequest: fetch has no upload progress. */
function uploadCsv(event) {
  event.preventDefault()
  const form = event.target
  const file = form.elements.file.files[0]
  if (!file) return
  const progress = $('import-progress')
  const button = form.querySelector('button')
  const result = $('import-result')
  progress.hidden = false
  progress.value = 0
  button.disabled = true
  result.replaceChildren(h('p', { class: 'muted' }, `Uploading ${file.name}…`))
  const xhr = new XMLHttpRequest()
  xhr.open('POST', '/api/v1/imports')
  xhr.setRequestHeader('authorization', `Bearer ${state.token}`)
  xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) progress.value = e.loaded / e.total })
  xhr.upload.addEventListener('load', () => result.replaceChildren(h('p', { class: 'muted' }, 'Uploaded; storing readings…')))
  xhr.addEventListener('loadend', async () => {
    button.disabled = false
    progress.hidden = true
    let body = {}
    try { body = JSON.parse(xhr.responseText) } catch { /* not JSON */ }
    if (xhr.status !== 200) {
      if (xhr.status === 401) return signOut('The server refused the token. Sign in again.')
      return result.replaceChildren(h('p', { class: 'error' }, `Import failed: ${body.message ?? (xhr.status ? `HTTP ${xhr.status}` : 'the server could not be reached')}`))
    }
    const lines = [h('p', {}, `${body.format} export (${body.timezone}): ${body.rows.toLocaleString()} rows → ${body.inserted.toLocaleString()} new, ${body.updated} updated, ${body.unchanged.toLocaleString()} already stored, ${body.skipped} skipped.`)]
    if (body.errorCount) {
      lines.push(h('p', { class: 'error' }, `${body.errorCount} row${body.errorCount === 1 ? '' : 's'} rejected:`),
        h('ul', { class: 'small' }, ...body.errors.slice(0, 5).map((e) => h('li', {}, `line ${e.line}, ${e.field}: ${e.message}`))))
    }
    result.replaceChildren(...lines)
    form.reset()
    await show()
  })
  const data = new FormData()
  data.append('file', file)
  xhr.send(data)
}

async function changeUnit() {
  try {
    state.me = await api('/api/v1/me', { method: 'PATCH', body: { preferredUnit: $('unit').value } })
    await show()
  } catch (error) { notify(`Could not change the unit: ${error.message}`, true) }
}

/** The OAuth callback's redirect back here carries ?connect=<provider>&result=<code>; show it once. */
function connectOutcome() {
  const params = new URLSearchParams(location.search)
  const provider = params.get('connect')
  const result = params.get('result')
  if (!result) return
  history.replaceState(null, '', location.pathname)
  if (result in CONNECT_RESULTS) notify(`${PROVIDERS[provider] ?? 'The provider'} ${CONNECT_RESULTS[result]}`, result !== 'connected')
}

function start() {
  $('policy-version').textContent = POLICY_VERSION
  $('sign-in-form').addEventListener('submit', signIn)
  $('sign-out').addEventListener('click', () => signOut())
  $('connect-dexcom').addEventListener('click', connectDexcom)
  $('libre-form').addEventListener('submit', (e) => connectWithCredentials(e, 'libre-link-up'))
  $('nightscout-form').addEventListener('submit', (e) => connectWithCredentials(e, 'nightscout'))
  $('import-form').addEventListener('submit', uploadCsv)
  $('unit').addEventListener('change', changeUnit)
  connectOutcome()
  if (!state.token) return signOut()
  show().catch((error) => { if (error.status !== 401) notify(`Could not load: ${error.message}`, true) })
  setInterval(() => { if (state.token && !document.hidden) void loadNow() }, MINUTE)
  setInterval(renderNow, 15_000)
  addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(redrawCharts, 250) })
}

start()
