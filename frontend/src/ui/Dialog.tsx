import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from 'react'
import { cx } from './Button'

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])'

export interface DialogProps {
  open: boolean
  /** Escape, the close button, a click on the backdrop: the owner decides (it sets `open`). */
  onClose: () => void
  title: ReactNode
  description?: ReactNode
  /** `sheet`: slides up from the bottom on a phone, a side panel from md up; for forms. */
  variant?: 'dialog' | 'sheet'
  /** Label of the × button (a sheet has one; a dialog only when given). */
  closeLabel?: string
  children?: ReactNode
  testId?: string
}

/**
 * A modal dialog on the native `<dialog>` (showModal: the page behind is inert, Escape closes).
 * Focus goes to the first `autoFocus` element, else the first control; Tab and Shift+Tab stay
 * inside; on close the focus returns to where it was (the button that opened it).
 */
export function Dialog({ open, onClose, title, description, variant = 'dialog', closeLabel, children, testId }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null)
  const returnTo = useRef<Element | null>(null)
  // A click that started inside (selecting text in a field) and ended on the backdrop is no close.
  const pressedOnBackdrop = useRef(false)
  const isOpen = useRef(open)
  isOpen.current = open
  const id = useId()

  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    if (open && !dialog.open) {
      returnTo.current = document.activeElement
      dialog.showModal()
      // The body's first control (or one marked data-autofocus) rather than the × button.
      const body = dialog.querySelector<HTMLElement>('[data-dialog-body]')
      const first = dialog.querySelector<HTMLElement>('[data-autofocus]') ?? body?.querySelector<HTMLElement>(FOCUSABLE) ?? dialog.querySelector<HTMLElement>(FOCUSABLE)
      first?.focus()
    } else if (!open && dialog.open) {
      dialog.close()
    }
  }, [open])

  // Restores focus whether the dialog closed through `open` or went away with its owner.
  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    const restore = () => {
      const target = returnTo.current
      returnTo.current = null
      if (target instanceof HTMLElement && target.isConnected) target.focus()
    }
    dialog.addEventListener('close', restore)
    return () => dialog.removeEventListener('close', restore)
  }, [])

  function trapTab(event: KeyboardEvent<HTMLDialogElement>) {
    if (event.key !== 'Tab') return
    const items = [...event.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null || el === document.activeElement)
    if (items.length === 0) return
    const first = items[0]
    const last = items[items.length - 1]
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault()
      last.focus()
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault()
      first.focus()
    }
  }

  const sheet = variant === 'sheet'
  return (
    <dialog
      ref={ref}
      aria-labelledby={`${id}-title`}
      aria-describedby={description ? `${id}-text` : undefined}
      data-testid={testId}
      onKeyDown={trapTab}
      onCancel={(event) => {
        event.preventDefault()
        onClose()
      }}
      // The browser may close it by itself (a second Escape is not always cancellable): tell the owner.
      onClose={() => {
        if (isOpen.current) onClose()
      }}
      onPointerDown={(event) => {
        pressedOnBackdrop.current = event.target === event.currentTarget
      }}
      onClick={(event) => {
        if (event.target === event.currentTarget && pressedOnBackdrop.current) onClose()
        pressedOnBackdrop.current = false
      }}
      className={cx(
        'overflow-y-auto overscroll-contain bg-surface p-0 text-ink shadow-xl backdrop:bg-black/40',
        sheet
          ? 'mx-0 mt-auto mb-0 max-h-[92dvh] w-full max-w-none rounded-t-card border-t border-line md:m-0 md:ml-auto md:h-dvh md:max-h-none md:w-[36rem] md:rounded-none md:border-t-0 md:border-l'
          : 'm-auto w-[min(28rem,calc(100%-2rem))] rounded-card border border-line',
      )}
    >
      {/* The padding sits inside, so a click on it is not a click on the backdrop. */}
      <div className={sheet ? 'p-4 sm:p-6' : 'p-5'}>
        <div className="flex items-start gap-3">
          <h2 id={`${id}-title`} className={cx('grow font-semibold', sheet && 'text-lg')}>
            {title}
          </h2>
          {(sheet || closeLabel) && (
            <button type="button" className="btn-ghost -mt-1 -mr-2 text-xl leading-none" aria-label={closeLabel ?? 'Close'} onClick={onClose}>
              ×
            </button>
          )}
        </div>
        {description && (
          <div id={`${id}-text`} className="mt-2 text-sm">
            {description}
          </div>
        )}
        <div data-dialog-body>{open && children}</div>
      </div>
    </dialog>
  )
}
