import type { ReactNode } from 'react'

/** Common page frame: sets the document title (React 19 hoists <title>) and the h1. */
export function Page({ title, actions, children }: { title: string; actions?: ReactNode; children?: ReactNode }) {
  return (
    <div className="mx-auto max-w-4xl px-4 py-6 md:px-8 md:py-10">
      <title>{`${title} · Mirubato`}</title>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold tracking-tight text-ink">{title}</h1>
        {actions}
      </div>
      {children}
    </div>
  )
}

/** Placeholder for a section that has not been built yet. */
export function Placeholder({ title, next }: { title: string; next: string }) {
  return (
    <Page title={title}>
      <p className="mt-3 text-sage-700">Not built yet. {next}</p>
    </Page>
  )
}
