import { useId, useRef, type ReactNode } from 'react'
import { cx } from './Button'

export interface TabItem {
  id: string
  label: ReactNode
}

/**
 * Tabs as the ARIA pattern: one tab in the Tab order, arrows/Home/End move between them and
 * select (automatic activation). The panel is `children`, labelled by the selected tab.
 */
export function Tabs({ label, items, value, onChange, children }: { label: string; items: TabItem[]; value: string; onChange: (id: string) => void; children?: ReactNode }) {
  const id = useId()
  const list = useRef<HTMLDivElement>(null)
  function move(index: number) {
    const next = items[(index + items.length) % items.length]
    onChange(next.id)
    list.current?.querySelector<HTMLElement>(`[data-tab="${CSS.escape(next.id)}"]`)?.focus()
  }
  const current = items.findIndex((item) => item.id === value)
  return (
    <div>
      <div ref={list} role="tablist" aria-label={label} className="flex gap-1 overflow-x-auto border-b border-line">
        {items.map((item, index) => {
          const selected = item.id === value
          return (
            <button
              key={item.id}
              type="button"
              role="tab"
              id={`${id}-tab-${item.id}`}
              data-tab={item.id}
              aria-selected={selected}
              aria-controls={`${id}-panel`}
              tabIndex={selected ? 0 : -1}
              onClick={() => onChange(item.id)}
              onKeyDown={(event) => {
                const keys: Record<string, number> = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: items.length - 1 }
                if (event.key in keys) {
                  event.preventDefault()
                  move(keys[event.key])
                }
              }}
              className={cx(
                '-mb-px border-b-2 px-3 py-2 text-sm font-medium whitespace-nowrap',
                selected ? 'border-accent text-ink' : 'border-transparent text-ink-muted hover:text-ink',
              )}
            >
              {item.label}
            </button>
          )
        })}
      </div>
      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={current >= 0 ? `${id}-tab-${items[current].id}` : undefined} className="pt-4">
        {children}
      </div>
    </div>
  )
}
