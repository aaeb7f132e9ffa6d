import { useEffect, useMemo, useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { Page } from '../components/Page'
import { useConfig } from '../config-context'
import { useI18n } from '../i18n'
import { DictionaryClient, TermNotFound, type SearchResult, type TermView } from '../lib/dictionary'

const SUGGEST_DELAY_MS = 250

function termPath(term: string): string {
  return `/toolbox/dictionary/${encodeURIComponent(term)}`
}

function useDictionary(): DictionaryClient {
  const { dictionaryUrl } = useConfig()
  return useMemo(() => new DictionaryClient(dictionaryUrl), [dictionaryUrl])
}

/** Search box with suggestions as you type; Enter looks the words up as a term. */
function SearchBox({ initial = '' }: { initial?: string }) {
  const { t, language } = useI18n()
  const dictionary = useDictionary()
  const navigate = useNavigate()
  const [query, setQuery] = useState(initial)
  const [results, setResults] = useState<SearchResult[]>([])

  useEffect(() => {
    const words = query.trim()
    if (words.length < 2) {
      setResults([])
      return
    }
    let live = true
    const timer = setTimeout(() => {
      dictionary.search(words, language).then(
        (found) => live && setResults(found),
        () => live && setResults([]),
      )
    }, SUGGEST_DELAY_MS)
    return () => {
      live = false
      clearTimeout(timer)
    }
  }, [query, language, dictionary])

  return (
    <form
      role="search"
      className="card mt-6"
      onSubmit={(event) => {
        event.preventDefault()
        if (query.trim()) void navigate(termPath(query.trim()))
      }}
    >
      <label className="label">
        {t('dictionary.search')}
        <input className="field" type="search" value={query} onChange={(event) => setQuery(event.target.value)} placeholder={t('dictionary.placeholder')} />
      </label>
      {results.length > 0 && (
        <ul aria-label={t('dictionary.suggestions')} className="mt-3 divide-y divide-sage-100">
          {results.map((result) => (
            <li key={result.id} className="py-2">
              <Link to={termPath(result.term)} className="font-medium underline">
                {result.display_term}
              </Link>
              <span className="ml-2 text-sm text-sage-700">{result.definition.concise}</span>
            </li>
          ))}
        </ul>
      )}
    </form>
  )
}

function TermPage({ term }: { term: string }) {
  const { t, language } = useI18n()
  const dictionary = useDictionary()
  const [view, setView] = useState<TermView | null>(null)
  const [missing, setMissing] = useState<string[] | null>(null)
  const [failed, setFailed] = useState(false)

  useEffect(() => {
    let live = true
    setView(null)
    setMissing(null)
    setFailed(false)
    dictionary.term(term, language).then(
      (found) => live && setView(found),
      (error: unknown) => {
        if (!live) return
        if (error instanceof TermNotFound) setMissing(error.suggestions)
        else setFailed(true)
      },
    )
    return () => {
      live = false
    }
  }, [term, language, dictionary])

  if (failed) return <p role="alert" className="card mt-6">{t('dictionary.unavailable')}</p>
  if (missing) {
    return (
      <section className="card mt-6" aria-label={t('dictionary.notFound', { term })}>
        <p>{t('dictionary.notFound', { term })}</p>
        {missing.length > 0 && (
          <p className="mt-2 flex flex-wrap gap-2 text-sm">
            {t('dictionary.didYouMean')}
            {missing.map((suggestion) => (
              <Link key={suggestion} to={termPath(suggestion)} className="underline">
                {suggestion}
              </Link>
            ))}
          </p>
        )}
      </section>
    )
  }
  if (!view) return null
  const { entry } = view
  return (
    <article className="card mt-6" aria-labelledby="term-title" data-testid="term">
      <h2 id="term-title" className="text-xl font-semibold">
        {view.display_term}
      </h2>
      <p className="text-sm text-sage-700">
        {entry.term !== view.display_term && <span lang={entry.lang}>{entry.term} · </span>}
        {entry.type}
        {entry.definition.pronunciation && <> · {entry.definition.pronunciation}</>}
      </p>
      {view.fallback && <p className="mt-2 text-xs text-sage-700">{t('dictionary.inEnglish')}</p>}
      <p className="mt-3 font-medium" lang={entry.lang}>
        {entry.definition.concise}
      </p>
      {entry.definition.detailed && (
        <p className="mt-2" lang={entry.lang}>
          {entry.definition.detailed}
        </p>
      )}
      {entry.definition.etymology && (
        <p className="mt-2 text-sm text-sage-700" lang={entry.lang}>
          {t('dictionary.etymology')}: {entry.definition.etymology}
        </p>
      )}
      {view.related_terms.length > 0 && (
        <section className="mt-4" aria-labelledby="related-title">
          <h3 id="related-title" className="font-semibold">
            {t('dictionary.related')}
          </h3>
          <ul className="mt-1 flex flex-wrap gap-2">
            {view.related_terms.map((related) => (
              <li key={related.id}>
                <Link to={termPath(related.term)} className="rounded bg-sage-100 px-2 py-1 text-sm underline" title={related.concise}>
                  {related.display_term}
                </Link>
              </li>
            ))}
          </ul>
        </section>
      )}
    </article>
  )
}

/** `/toolbox/dictionary` (search) and `/toolbox/dictionary/:term` (a term page). */
export default function Dictionary() {
  const { t } = useI18n()
  const { term } = useParams()
  return (
    <Page title={t('dictionary.title')}>
      <p className="mt-2 text-sm">
        <Link to="/toolbox" className="underline">
          {t('toolbox.title')}
        </Link>
      </p>
      <SearchBox key={term ?? ''} />
      {term && <TermPage term={term} />}
    </Page>
  )
}
