import type { ReactNode } from 'react'
import { cx } from './Button'

export type Tone = 'neutral' | 'green' | 'violet' | 'amber' | 'blue' | 'rose'

export const TONE_CLASSES: Record<Tone, string> = {
  neutral: 'bg-tone-neutral-bg text-tone-neutral-fg',
  green: 'bg-tone-green-bg text-tone-green-fg',
  violet: 'bg-tone-violet-bg text-tone-violet-fg',
  amber: 'bg-tone-amber-bg text-tone-amber-fg',
  blue: 'bg-tone-blue-bg text-tone-blue-fg',
  rose: 'bg-tone-rose-bg text-tone-rose-fg',
}

/** A small pill: entry type, instrument, mood, technique, tag, status. */
export function Badge({ tone = 'neutral', children, className, title }: { tone?: Tone; children: ReactNode; className?: string; title?: string }) {
  return (
    <span title={title} className={cx('inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap', TONE_CLASSES[tone], className)}>
      {children}
    </span>
  )
}
