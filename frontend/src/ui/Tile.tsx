import type { ReactNode } from 'react'
import { cx } from './Button'
import { TONE_CLASSES, type Tone } from './Badge'

/** A figure with its label (today / this week / total …). */
export function Tile({ label, value, tone = 'neutral', testId }: { label: ReactNode; value: ReactNode; tone?: Tone; testId?: string }) {
  return (
    <div className={cx('rounded-card px-3 py-3 text-center sm:px-4 sm:py-4', TONE_CLASSES[tone])}>
      <p className="text-base font-semibold break-words tabular-nums sm:text-2xl" data-testid={testId}>
        {value}
      </p>
      <p className="mt-0.5 text-xs sm:text-sm">{label}</p>
    </div>
  )
}
