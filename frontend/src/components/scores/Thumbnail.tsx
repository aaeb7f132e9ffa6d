import { useEffect, useRef, useState } from 'react'
import { useI18n } from '../../i18n'
import { thumbnail, type Score } from '../../lib/scores'
import { useServices } from '../../services'

/**
 * Loads a blob through the session and shows it as an object URL (private scores need the
 * token, which an `<img src>` cannot send). `key` names the file: `null` loads nothing, and a
 * new `load` function for the same key does not fetch again.
 */
export function useObjectUrl(key: string | null, load: () => Promise<Blob>): string | null {
  const [url, setUrl] = useState<string | null>(null)
  const loader = useRef(load)
  useEffect(() => {
    loader.current = load
  })
  useEffect(() => {
    if (!key) return
    const load = loader.current
    let live = true
    let made: string | null = null
    load().then(
      (blob) => {
        if (!live) return
        made = URL.createObjectURL(blob)
        setUrl(made)
      },
      () => live && setUrl(null),
    )
    return () => {
      live = false
      if (made) URL.revokeObjectURL(made)
    }
  }, [key])
  return url
}

/** The first page in miniature once processing has made it; the processing state until then. */
export function Thumbnail({ score }: { score: Score }) {
  const { t } = useI18n()
  const { scores } = useServices()
  const ready = score.processingStatus === 'completed'
  const url = useObjectUrl(ready ? `thumbnail:${score.id}` : null, () => thumbnail(scores, score.id))
  return (
    <div className="flex aspect-[3/4] items-center justify-center overflow-hidden rounded-md border border-sage-200 bg-sage-50">
      {url ? (
        <img src={url} alt={t('scores.thumbnailOf', { title: score.title })} className="h-full w-full object-contain" data-testid="score-thumbnail" />
      ) : (
        <span className="p-2 text-center text-xs text-sage-600">{ready ? t('common.loading') : t(`scores.status.${score.processingStatus}`)}</span>
      )}
    </div>
  )
}
