import { Suspense, lazy, useEffect, useState } from 'react'
import { Link, useParams } from 'react-router'
import { Page } from '../components/Page'
import { useObjectUrl } from '../components/scores/Thumbnail'
import { useI18n } from '../i18n'
import { errorMessage } from '../config'
import {
  collections as listCollections,
  getScore,
  isFavorite,
  isSettled,
  pageImage,
  pdfFile,
  setFavorite,
  setInCollection,
  waitForProcessing,
  type Collection,
  type Score,
} from '../lib/scores'
import { useServices, useSession } from '../services'

// pdf.js is only fetched when a PDF is shown.
const PdfViewer = lazy(() => import('../components/scores/PdfViewer'))

function PdfPages({ score }: { score: Score }) {
  const { t } = useI18n()
  const { scores } = useServices()
  const [file, setFile] = useState<Blob | null>(null)
  const [failed, setFailed] = useState(false)
  useEffect(() => {
    let live = true
    pdfFile(scores, score.id).then(
      (blob) => live && setFile(blob),
      () => live && setFailed(true),
    )
    return () => {
      live = false
    }
  }, [scores, score.id])
  if (failed) return <p role="alert" className="mt-4 text-red-700">{t('scores.viewerFailed')}</p>
  if (!file) return <p className="mt-4">{t('common.loading')}</p>
  return (
    <Suspense fallback={<p className="mt-4">{t('common.loading')}</p>}>
      <PdfViewer file={file} title={score.title} />
    </Suspense>
  )
}

function ImagePage({ score, page }: { score: Score; page: number }) {
  const { t } = useI18n()
  const { scores } = useServices()
  const url = useObjectUrl(`page:${score.id}:${page}`, () => pageImage(scores, score.id, page))
  return url ? <img src={url} alt={t('scores.pageImage', { title: score.title, page })} className="mx-auto mt-3 w-full max-w-3xl" /> : null
}

function Membership({ score }: { score: Score }) {
  const { t } = useI18n()
  const { scores } = useServices()
  const [shelves, setShelves] = useState<Collection[] | null>(null)
  const [favorite, setFavoriteState] = useState<boolean | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    let live = true
    void Promise.all([listCollections(scores), isFavorite(scores, score.id)]).then(
      ([list, favored]) => {
        if (!live) return
        setShelves(list)
        setFavoriteState(favored)
      },
      (err: unknown) => live && setError(errorMessage(err)),
    )
    return () => {
      live = false
    }
  }, [scores, score.id])

  function markMember(collectionId: string, member: boolean) {
    setShelves((list) =>
      (list ?? []).map((c) =>
        c.id === collectionId ? { ...c, scoreIds: member ? [...c.scoreIds, score.id] : c.scoreIds.filter((id) => id !== score.id) } : c,
      ),
    )
  }

  /** Shown at once; put back if the server refuses. */
  async function toggle(collection: Collection, member: boolean) {
    setError(null)
    markMember(collection.id, member)
    try {
      await setInCollection(scores, collection.id, score.id, member)
    } catch (err) {
      markMember(collection.id, !member)
      setError(errorMessage(err))
    }
  }

  return (
    <div className="mt-4 flex flex-wrap items-start gap-6">
      <button
        type="button"
        className="btn-quiet"
        aria-pressed={favorite ?? false}
        disabled={favorite === null}
        onClick={() => {
          const next = !favorite
          setFavorite(scores, score.id, next).then(setFavoriteState, (err: unknown) => setError(errorMessage(err)))
        }}
      >
        {favorite ? `★ ${t('scores.unfavorite')}` : `☆ ${t('scores.favorite')}`}
      </button>
      {shelves && (
        <fieldset>
          <legend className="text-sm font-medium">{t('scores.inCollections')}</legend>
          <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
            {shelves.map((collection) => (
              <label key={collection.id} className="flex items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  checked={collection.scoreIds.includes(score.id)}
                  onChange={(e) => void toggle(collection, e.target.checked)}
                />
                {collection.name}
              </label>
            ))}
          </div>
        </fieldset>
      )}
      {error && (
        <p role="alert" className="w-full text-red-700">
          {error}
        </p>
      )}
    </div>
  )
}

export default function ScoreDetail() {
  const { t } = useI18n()
  const { id = '' } = useParams()
  const { scores } = useServices()
  const session = useSession()
  const [score, setScore] = useState<Score | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    const controller = new AbortController()
    setScore(null)
    setError(null)
    void (async () => {
      try {
        const first = await getScore(scores, id)
        if (controller.signal.aborted) return
        setScore(first)
        if (!isSettled(first.processingStatus)) {
          await waitForProcessing(scores, id, { signal: controller.signal, onUpdate: (next) => !controller.signal.aborted && setScore(next) })
        }
      } catch (err) {
        if (!controller.signal.aborted) setError(errorMessage(err))
      }
    })()
    return () => controller.abort()
  }, [scores, id])

  return (
    <Page title={score?.title ?? t('scores.title')}>
      <Link to="/scorebook" className="mt-2 inline-block text-sm underline">
        {t('scores.back')}
      </Link>
      {error && (
        <p role="alert" className="mt-4 text-red-700">
          {error}
        </p>
      )}
      {!score && !error && <p className="mt-4">{t('common.loading')}</p>}
      {score && (
        <>
          <p className="mt-2 text-sage-700">{score.composer}</p>
          <p role="status" className="mt-2 text-sm" data-testid="processing-status" data-status={score.processingStatus}>
            {t(`scores.status.${score.processingStatus}`)}
            {score.processingStatus === 'failed' && score.processingError ? ` — ${score.processingError}` : ''}
            {score.pageCount ? ` · ${t('scores.pages', { count: score.pageCount })}` : ''}
          </p>
          {session && <Membership score={score} />}
          {score.processingStatus === 'completed' &&
            (score.sourceType === 'pdf' ? (
              <PdfPages score={score} />
            ) : (
              Array.from({ length: score.pageCount ?? 0 }, (_, index) => <ImagePage key={index} score={score} page={index + 1} />)
            ))}
        </>
      )}
    </Page>
  )
}
