import { useEffect, useRef } from 'react'
import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Legend,
  LinearScale,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js'

Chart.register(BarController, BarElement, CategoryScale, LinearScale, DoughnutController, ArcElement, Legend, Tooltip)

export const PALETTE = ['#4f5843', '#9ca888', '#c58b5c', '#6d8fa8', '#b5646b', '#d3b95c', '#7a6a9c', '#5c9c8b']

/** A Chart.js chart; `label` describes it for screen readers (a table follows each chart). */
export function ChartCanvas({ config, label, height = 220 }: { config: ChartConfiguration; label: string; height?: number }) {
  const canvas = useRef<HTMLCanvasElement>(null)
  const latest = useRef(config)
  latest.current = config
  // Redraw only when the data changes, not on every render of the page.
  const signature = JSON.stringify(config.data)
  useEffect(() => {
    if (!canvas.current) return
    const chart = new Chart(canvas.current, {
      ...latest.current,
      options: { responsive: true, maintainAspectRatio: false, animation: false, ...latest.current.options },
    })
    return () => chart.destroy()
  }, [signature])
  return (
    <div style={{ height }} className="relative">
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  )
}
