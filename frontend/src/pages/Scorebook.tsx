import { useEffect, useState, type FormEvent } from 'react'
import { Link } from 'react-router'
import { Page } from '../components/Page'
import { ImportPanel } from '../components/scores/ImportPanel'
import { Thumbnail } from '../components/scores/Thumbnail'
import { useI18n } from '../i18n'
import { errorMessage } from '../config'
import {
  PAGE_SIZE,
  collectionScores,
  collections as listCollections,
  createCollection,
  favoriteScores,
  findScores,
  type Collection,
  type Score,
} from '../lib/scores'
import { useServices, useSession } from '../services'

/** What the grid shows: the library (browsed or searched), the favourites, or one collection. */
type Shelf = { kind: 'library' } | { kind: 'favorites' } | { kind: 'collection'; id: string }

function shelfValue(shelf: Shelf): string {
  return shelf.kind === 'collection' ? `collection:${shelf.id}` : shelf.kind
}

function parseShelf(value: string): Shelf {
  if (value.startsWith('collection:')) return { kind: 'collection', id: value.slice('collection:'.length) }
  return value === 'favorites' ? { kind: 'favorites' } : { kind: 'library' }
}

function ScoreCard({ score }: { score: Score }) {
  return (
    <li>
      <Link
        to={`/scorebook/${encodeURIComponent(score.id)}`}
        className="block rounded-lg p-1 hover:bg-sage-100 focus-visible:outline-2 focus-visible:outline-sage-700"
        data-testid="score-card"
      >
        <Thumbnail score={score} />
        <span className="mt-2 block truncate font-medium">{score.title}</span>
        <span className="block truncate text-sm text-sage-700">{score.composer}</span>
      </Link>
    </li>
  )
}

export default function Scorebook() {
  const { t } = useI18n()
  const { scores: api } = useServices()
  const session = useSession()
  const [draft, setDraft] = useState('')
  const [query, setQuery] = useState('')
  const [shelf, setShelf] = useState<Shelf>({ kind: 'library' })
  const [found, setFound] = useState<{ scores: Score[]; total: number } | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [shelves, setShelves] = useState<Collection[]>([])
  const [newName, setNewName] = useState('')
  const signedIn = session !== null

  useEffect(() => {
    let live = true
    setFound(null)
    setError(null)
    const load =
      shelf.kind === 'favorites'
        ? favoriteScores(api).then((list) => ({ scores: list, total: list.length }))
        : shelf.kind === 'collection'
          ? collectionScores(api, shelf.id).then((list) => ({ scores: list, total: list.length }))
          : findScores(api, query)
    load.then(
      (answer) => live && setFound(answer),
      (err: unknown) => live && setError(errorMessage(err)),
    )
    return () => {
      live = false
    }
  }, [api, query, shelf, signedIn])

  useEffect(() => {
    if (!signedIn) {
      setShelves([])
      setShelf((current) => (current.kind === 'library' ? current : { kind: 'library' }))
      return
    }
    let live = true
    listCollections(api).then(
      (list) => live && setShelves(list),
      () => live && setShelves([]),
    )
    return () => {
      live = false
    }
  }, [api, signedIn])

  async function more() {
    if (!found) return
    try {
      const next = await findScores(api, query, found.scores.length)
      setFound({ scores: [...found.scores, ...next.scores], total: next.total })
    } catch (err) {
      setError(errorMessage(err))
    }
  }

  async function addCollection(event: FormEvent) {
    event.preventDefault()
    try {
      const created = await createCollection(api, newName)
      setShelves((list) => [...list, created])
      setNewName('')
      setShelf({ kind: 'collection', id: created.id })
    } catch (err) {
      setError(errorMessage(err))
    }
  }

  return (
    <Page title={t('scores.title')}>
      <p className="mt-2 text-sage-700">{t(signedIn ? 'scores.introSignedIn' : 'scores.introPublic')}</p>

      <div className="mt-6 grid gap-3 sm:grid-cols-[1fr_auto]">
        <form
          role="search"
          onSubmit={(event) => {
            event.preventDefault()
            setShelf({ kind: 'library' })
            setQuery(draft)
          }}
          className="flex items-end gap-2"
        >
          <label className="label grow">
            {t('scores.search')}
            <input className="field" type="search" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder={t('scores.searchHint')} />
          </label>
          <button type="submit" className="btn">
            {t('scores.searchButton')}
          </button>
        </form>
        {signedIn && (
          <label className="label">
            {t('scores.show')}
            <select className="field" value={shelfValue(shelf)} onChange={(e) => setShelf(parseShelf(e.target.value))}>
              <option value="library">{t('scores.shelf.library')}</option>
              <option value="favorites">{t('scores.shelf.favorites')}</option>
              {shelves.map((collection) => (
                <option key={collection.id} value={`collection:${collection.id}`}>
                  {t('scores.shelf.collection', { name: collection.name })}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>

      {error && (
        <p role="alert" className="mt-4 text-red-700">
          {error}
        </p>
      )}
      {!found && !error && <p className="mt-6 text-sage-700">{t('common.loading')}</p>}
      {found && found.scores.length === 0 && (
        <p className="mt-6 text-sage-700">{query && shelf.kind === 'library' ? t('scores.noResults', { query }) : t('scores.empty')}</p>
      )}
      {found && found.scores.length > 0 && (
        <>
          <p className="mt-6 text-sm text-sage-700" aria-live="polite">
            {t('scores.count', { count: found.total })}
          </p>
          <ul className="mt-2 grid grid-cols-2 gap-4 sm:grid-cols-3 md:grid-cols-4" aria-label={t('scores.results')}>
            {found.scores.map((score) => (
              <ScoreCard key={score.id} score={score} />
            ))}
          </ul>
          {shelf.kind === 'library' && found.scores.length < found.total && found.scores.length >= PAGE_SIZE && (
            <button type="button" className="btn-quiet mt-4" onClick={() => void more()}>
              {t('scores.more')}
            </button>
          )}
        </>
      )}

      {signedIn ? (
        <>
          <ImportPanel />
          <form onSubmit={addCollection} className="card mt-6 flex flex-wrap items-end gap-2" aria-labelledby="collections-title">
            <h2 id="collections-title" className="w-full font-semibold">
              {t('scores.collections')}
            </h2>
            <label className="label grow">
              {t('scores.collectionName')}
              <input className="field" required maxLength={200} value={newName} onChange={(e) => setNewName(e.target.value)} />
            </label>
            <button type="submit" className="btn">
              {t('scores.createCollection')}
            </button>
          </form>
        </>
      ) : (
        <p className="card mt-6">
          {t('scores.signInToImport')}{' '}
          <Link to="/signin" className="underline">
            {t('auth.title')}
          </Link>
        </p>
      )}
    </Page>
  )
}
