// Port of `crates/core/src/score_id.rs`: devices must derive the same score id as the server,
// or a locally created repertoire item would not match the stored one.

const SINGLE_QUOTES = ['\u2018', '\u2019', '\u201A', '\u201B', '\u2032']
const DOUBLE_QUOTES = ['\u201C', '\u201D', '\u201E', '\u201F', '\u2033']
const DASHES = ['\u2013', '\u2014', '\u2012', '\u2015', '\u2212']

function normalizeText(text: string, isComposer: boolean): string {
  let mapped = ''
  for (const raw of text.toLowerCase()) {
    let c = raw
    if (SINGLE_QUOTES.includes(c)) c = "'"
    else if (DOUBLE_QUOTES.includes(c)) c = '"'
    else if (DASHES.includes(c)) c = '-'
    const repeatedBar = c === '|' && mapped.endsWith('|')
    if (!(repeatedBar || (isComposer && c === '.'))) mapped += c
  }
  return mapped
    .split(/\s+/)
    .filter(Boolean)
    .join(' ')
    .replace(/^[\s|]+|[\s|]+$/g, '')
}

/** `<title>-<composer>`, or `<title>||<composer>` when either part contains a dash. */
export function generateScoreId(title: string, composer?: string | null): string {
  const t = normalizeText(title, false)
  const c = normalizeText(composer ?? '', true) || 'unknown'
  const delimiter = t.includes('-') || c.includes('-') ? '||' : '-'
  return `${t}${delimiter}${c}`
}

/** A fresh document id with a readable prefix (`entry_…`, `goal_…`). */
export function newId(prefix: string): string {
  return `${prefix}_${crypto.randomUUID()}`
}
