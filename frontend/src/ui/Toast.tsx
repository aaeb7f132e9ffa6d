import { createContext, use, useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react'

export interface ToastInput {
  message: string
  /** E.g. `{ label: 'Undo', run: restore }`: pressing it runs the action and closes the toast. */
  action?: { label: string; run: () => void | Promise<void> }
  /** Milliseconds before it goes (default 6 s; an action gets 8 s). */
  duration?: number
}

interface ToastItem extends ToastInput {
  id: number
}

const ToastContext = createContext<(toast: ToastInput) => void>(() => {})

/** Shows a toast: `const toast = useToast(); toast({ message, action })`. */
export function useToast() {
  return use(ToastContext)
}

/**
 * Toasts sit above the phone's bottom navigation, in a polite live region; hovering or
 * focusing one keeps it until the pointer/focus leaves.
 */
export function ToastProvider({ children, dismissLabel = 'Dismiss' }: { children: ReactNode; dismissLabel?: string }) {
  const [items, setItems] = useState<ToastItem[]>([])
  const next = useRef(1)
  const show = useCallback((toast: ToastInput) => {
    const id = next.current++
    // One at a time is enough for a journal: a new toast replaces the previous one.
    setItems([{ ...toast, id }])
  }, [])
  const dismiss = useCallback((id: number) => setItems((current) => current.filter((item) => item.id !== id)), [])
  const value = useMemo(() => show, [show])
  return (
    <ToastContext value={value}>
      {children}
      <div role="status" aria-live="polite" className="pointer-events-none fixed inset-x-0 bottom-20 z-50 flex flex-col items-center gap-2 px-4 md:bottom-6" data-testid="toasts">
        {items.map((item) => (
          <Toast key={item.id} item={item} onDismiss={() => dismiss(item.id)} dismissLabel={dismissLabel} />
        ))}
      </div>
    </ToastContext>
  )
}

function Toast({ item, onDismiss, dismissLabel }: { item: ToastItem; onDismiss: () => void; dismissLabel: string }) {
  const [held, setHeld] = useState(false)
  useEffect(() => {
    if (held) return
    const timer = setTimeout(onDismiss, item.duration ?? (item.action ? 8000 : 6000))
    return () => clearTimeout(timer)
  }, [held, item, onDismiss])
  return (
    <div
      className="pointer-events-auto flex w-full max-w-md items-center gap-3 rounded-card bg-sage-900 px-4 py-3 text-sm text-sage-50 shadow-lg"
      data-testid="toast"
      onMouseEnter={() => setHeld(true)}
      onMouseLeave={() => setHeld(false)}
      onFocus={() => setHeld(true)}
      onBlur={() => setHeld(false)}
    >
      <span className="grow">{item.message}</span>
      {item.action && (
        <button
          type="button"
          className="rounded-control px-2 py-1 font-semibold underline underline-offset-2 hover:bg-sage-800"
          onClick={() => {
            void item.action!.run()
            onDismiss()
          }}
        >
          {item.action.label}
        </button>
      )}
      <button type="button" className="rounded-control px-2 py-1 hover:bg-sage-800" aria-label={dismissLabel} onClick={onDismiss}>
        ×
      </button>
    </div>
  )
}
