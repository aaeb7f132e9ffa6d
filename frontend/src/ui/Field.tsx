import { cloneElement, isValidElement, useId, type ReactElement, type ReactNode, type SelectHTMLAttributes } from 'react'
import { cx } from './Button'

/**
 * A labelled control: the label names the control (getByLabel works), a hint or an error is
 * tied to it with aria-describedby.
 */
export function Field({
  label,
  hint,
  error,
  className,
  children,
}: {
  label: ReactNode
  hint?: ReactNode
  error?: ReactNode
  className?: string
  children: ReactElement<{ id?: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }>
}) {
  const id = useId()
  const controlId = (isValidElement(children) && children.props.id) || `${id}-control`
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined
  return (
    <div className={className}>
      <label htmlFor={controlId} className="label">
        {label}
      </label>
      {cloneElement(children, { id: controlId, 'aria-describedby': describedBy, ...(error ? { 'aria-invalid': true } : {}) })}
      {hint && (
        <p id={`${id}-hint`} className="mt-1 text-xs text-ink-muted">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="mt-1 text-xs text-danger">
          {error}
        </p>
      )}
    </div>
  )
}

export interface Option {
  value: string
  label: string
}

/** A native select (best on phones) styled as the other fields. */
export function Select({ options, className, placeholder, ...rest }: SelectHTMLAttributes<HTMLSelectElement> & { options: Option[]; placeholder?: string }) {
  return (
    <select className={cx('field', className)} {...rest}>
      {placeholder !== undefined && <option value="">{placeholder}</option>}
      {options.map((option) => (
        <option key={option.value} value={option.value}>
          {option.label}
        </option>
      ))}
    </select>
  )
}
