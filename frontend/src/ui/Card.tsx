import type { HTMLAttributes } from 'react'
import { cx } from './Button'

/** A surface with a border: `as="li"`, `as="section"` … keep the markup meaningful. */
export function Card({
  as: Tag = 'div',
  className,
  ...rest
}: HTMLAttributes<HTMLElement> & { as?: 'div' | 'section' | 'li' | 'article' | 'form' }) {
  return <Tag className={cx('card', className)} {...rest} />
}
