import { useEffect, useRef, useState } from 'react'
import type { PDFDocumentLoadingTask, PDFDocumentProxy, RenderTask } from 'pdfjs-dist'
import { useI18n } from '../../i18n'

/**
 * pdf.js and its worker load only when a score is opened (they are far bigger than the app's
 * first load), and the worker is this build's own file, never a CDN's.
 */
async function loadPdfJs() {
  const [pdfjs, worker] = await Promise.all([import('pdfjs-dist'), import('pdfjs-dist/build/pdf.worker.min.mjs?url')])
  pdfjs.GlobalWorkerOptions.workerSrc = worker.default
  return pdfjs
}

/** Renders one page of a PDF at a time on a canvas, sized to the viewer's width. */
export default function PdfViewer({ file, title }: { file: Blob; title: string }) {
  const { t } = useI18n()
  const canvas = useRef<HTMLCanvasElement>(null)
  const frame = useRef<HTMLDivElement>(null)
  const [doc, setDoc] = useState<PDFDocumentProxy | null>(null)
  const [page, setPage] = useState(1)
  const [zoom, setZoom] = useState(1)
  const [failed, setFailed] = useState(false)
  const [rendered, setRendered] = useState(0)

  useEffect(() => {
    let live = true
    let task: PDFDocumentLoadingTask | null = null
    void (async () => {
      try {
        const pdfjs = await loadPdfJs()
        if (!live) return
        // No WebAssembly decoders: they would be fetched from a URL this build does not serve.
        task = pdfjs.getDocument({ data: new Uint8Array(await file.arrayBuffer()), useWasm: false })
        const opened = await task.promise
        if (live) setDoc(opened)
      } catch {
        if (live) setFailed(true)
      }
    })()
    return () => {
      live = false
      void task?.destroy()
    }
  }, [file])

  useEffect(() => {
    if (!doc || !canvas.current || !frame.current) return
    let task: RenderTask | null = null
    let live = true
    void (async () => {
      const pdfPage = await doc.getPage(page)
      if (!live || !canvas.current || !frame.current) return
      const natural = pdfPage.getViewport({ scale: 1 })
      const fit = (frame.current.clientWidth || natural.width) / natural.width
      const ratio = window.devicePixelRatio || 1
      const viewport = pdfPage.getViewport({ scale: fit * zoom * ratio })
      const target = canvas.current
      target.width = Math.floor(viewport.width)
      target.height = Math.floor(viewport.height)
      target.style.width = `${Math.floor(viewport.width / ratio)}px`
      task = pdfPage.render({ canvas: target, viewport })
      try {
        await task.promise
        if (live) setRendered(page)
      } catch {
        // Cancelled by a newer page or zoom: that render takes over.
      }
    })()
    return () => {
      live = false
      task?.cancel()
    }
  }, [doc, page, zoom])

  if (failed) return <p role="alert" className="mt-4 text-red-700">{t('scores.viewerFailed')}</p>
  const pages = doc?.numPages ?? 0
  return (
    <section aria-label={t('scores.viewer')} className="mt-4">
      <div className="flex flex-wrap items-center gap-2">
        <button type="button" className="btn-quiet" disabled={page <= 1} onClick={() => setPage((n) => n - 1)}>
          {t('scores.previousPage')}
        </button>
        <span aria-live="polite" data-testid="page-indicator">
          {doc ? t('scores.pageOf', { page, pages }) : t('common.loading')}
        </span>
        <button type="button" className="btn-quiet" disabled={page >= pages} onClick={() => setPage((n) => n + 1)}>
          {t('scores.nextPage')}
        </button>
        <button type="button" className="btn-quiet" disabled={zoom <= 0.5} onClick={() => setZoom((z) => Math.max(0.5, z - 0.25))}>
          {t('scores.zoomOut')}
        </button>
        <button type="button" className="btn-quiet" disabled={zoom >= 3} onClick={() => setZoom((z) => Math.min(3, z + 0.25))}>
          {t('scores.zoomIn')}
        </button>
      </div>
      <div ref={frame} className="mt-3 overflow-auto rounded-md border border-sage-200 bg-white">
        <canvas
          ref={canvas}
          role="img"
          aria-label={t('scores.pageImage', { title, page })}
          data-testid="pdf-page"
          data-rendered-page={rendered || undefined}
          className="mx-auto block max-w-none"
        />
      </div>
    </section>
  )
}
