import { useState, type FormEvent } from 'react'
import { useNavigate } from 'react-router'
import { useI18n } from '../../i18n'
import { errorMessage } from '../../config'
import { importFromUrl, importImages, importPdf } from '../../lib/scores'
import { useServices } from '../../services'

type Source = 'pdf' | 'url' | 'images'
const SOURCES: Source[] = ['pdf', 'url', 'images']

/** Adds a score from a PDF file, a link to one, or photos of its pages; then opens it. */
export function ImportPanel() {
  const { t } = useI18n()
  const { scores } = useServices()
  const navigate = useNavigate()
  const [source, setSource] = useState<Source>('pdf')
  const [title, setTitle] = useState('')
  const [url, setUrl] = useState('')
  const [files, setFiles] = useState<File[]>([])
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  async function submit(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const id =
        source === 'url'
          ? await importFromUrl(scores, url)
          : source === 'pdf'
            ? await importPdf(scores, files[0], title)
            : await importImages(scores, files, title)
      void navigate(`/scorebook/${encodeURIComponent(id)}`)
    } catch (err) {
      setError(t('scores.importFailed', { reason: errorMessage(err) }))
    } finally {
      setBusy(false)
    }
  }

  const ready = source === 'url' ? url.trim() !== '' : files.length > 0
  return (
    <form onSubmit={submit} className="card mt-6 grid gap-3" aria-labelledby="import-title">
      <h2 id="import-title" className="font-semibold">
        {t('scores.import')}
      </h2>
      <fieldset className="flex flex-wrap gap-4">
        <legend className="sr-only">{t('scores.importFrom')}</legend>
        {SOURCES.map((option) => (
          <label key={option} className="flex items-center gap-2 text-sm">
            <input
              type="radio"
              name="import-source"
              value={option}
              checked={source === option}
              onChange={() => {
                setSource(option)
                setFiles([])
              }}
            />
            {t(`scores.source.${option}`)}
          </label>
        ))}
      </fieldset>
      {source === 'url' ? (
        <label className="label">
          {t('scores.url')}
          <input className="field" type="url" inputMode="url" required value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://" />
        </label>
      ) : (
        <label className="label">
          {source === 'pdf' ? t('scores.pdfFile') : t('scores.imageFiles')}
          <input
            key={source}
            className="field"
            type="file"
            required
            accept={source === 'pdf' ? 'application/pdf,.pdf' : 'image/png,image/jpeg'}
            multiple={source === 'images'}
            onChange={(e) => setFiles([...(e.target.files ?? [])])}
          />
        </label>
      )}
      {source !== 'url' && (
        <label className="label">
          {t('scores.titleOptional')}
          <input className="field" maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />
        </label>
      )}
      <div>
        <button type="submit" className="btn" disabled={busy || !ready}>
          {busy ? t('scores.importing') : t('scores.importButton')}
        </button>
      </div>
      {error && (
        <p role="alert" className="text-red-700">
          {error}
        </p>
      )}
    </form>
  )
}
