import type { ButtonHTMLAttributes, Ref } from 'react'

export type ButtonVariant = 'primary' | 'quiet' | 'danger' | 'ghost'

const VARIANTS: Record<ButtonVariant, string> = {
  primary: 'btn',
  quiet: 'btn-quiet',
  danger: 'btn-danger',
  ghost: 'btn-ghost',
}

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: ButtonVariant
  ref?: Ref<HTMLButtonElement>
}

/** A button of the design system; `type="button"` unless said otherwise. */
export function Button({ variant = 'quiet', className, type = 'button', ...rest }: ButtonProps) {
  return <button type={type} className={cx(VARIANTS[variant], className)} {...rest} />
}

/** Joins class names, skipping empty ones. */
export function cx(...names: (string | false | null | undefined)[]): string {
  return names.filter(Boolean).join(' ')
}
