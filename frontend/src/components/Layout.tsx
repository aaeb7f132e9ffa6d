import { Suspense } from 'react'
import { Link, NavLink, Outlet } from 'react-router'
import { useConfig } from '../config-context'
import { useI18n } from '../i18n'
import { SyncBadge } from './SyncBadge'
import { FloatingTimer } from './timer/FloatingTimer'
import { TimerHandoffProvider } from './timer/handoff'
import { NAV_ITEMS } from './nav'

function Brand() {
  return (
    <Link
      to="/"
      className="flex items-center gap-2 text-lg font-semibold tracking-tight text-sage-900"
    >
      <img src="/favicon.svg" alt="" width="28" height="28" />
      Mirubato
    </Link>
  )
}

function PageLoading() {
  const { t } = useI18n()
  return (
    <p role="status" className="p-6 text-sage-700">
      {t('common.loading')}
    </p>
  )
}

export function Layout() {
  const { environment, version } = useConfig()
  const { t } = useI18n()
  return (
    <TimerHandoffProvider>
    <div className="min-h-dvh md:flex">
      <a
        href="#main"
        className="sr-only rounded bg-white px-3 py-2 text-sage-900 focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50"
      >
        {t('nav.skip')}
      </a>

      {/* Desktop: sidebar. The aside stretches with the page (border and background run
          to the bottom of long pages); its content stays in view while scrolling. */}
      <aside className="hidden w-60 shrink-0 border-r border-sage-200 bg-white md:block">
        <div className="sticky top-0 flex h-dvh flex-col px-4 py-5">
          <Brand />
          <nav aria-label={t('nav.main')} className="mt-8 flex-1">
            <ul className="space-y-1">
              {NAV_ITEMS.map((item) => (
                <li key={item.to}>
                  <NavLink
                    to={item.to}
                    className={({ isActive }) =>
                      `flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium transition-colors ${
                        isActive
                          ? 'bg-sage-100 text-sage-900'
                          : 'text-sage-700 hover:bg-sage-50 hover:text-sage-900'
                      }`
                    }
                  >
                    {item.icon}
                    {t(item.label)}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
          <SyncBadge />
          <p className="mt-2 text-xs text-sage-600">
            {environment} · v{version}
          </p>
        </div>
      </aside>

      {/* Phone: top bar with the name and the sync state */}
      <header className="flex items-center justify-between gap-2 border-b border-sage-200 bg-white px-4 py-3 md:hidden">
        <Brand />
        <SyncBadge />
      </header>

      <main id="main" tabIndex={-1} className="min-w-0 flex-1 pb-40 focus:outline-none md:pb-36">
        <Suspense fallback={<PageLoading />}>
          <Outlet />
        </Suspense>
      </main>

      {/* Phone: bottom tab bar, scrolling sideways when the sections do not fit */}
      <nav
        aria-label={t('nav.main')}
        className="fixed inset-x-0 bottom-0 z-40 border-t border-sage-200 bg-white pb-[env(safe-area-inset-bottom)] md:hidden"
      >
        <ul className="flex overflow-x-auto">
          {NAV_ITEMS.map((item) => (
            <li key={item.to} className="min-w-[4.5rem] flex-1">
              <NavLink
                to={item.to}
                className={({ isActive }) =>
                  `flex flex-col items-center gap-0.5 px-1 py-2 text-[11px] font-medium ${
                    isActive ? 'text-sage-900' : 'text-sage-600'
                  }`
                }
              >
                {item.icon}
                {t(item.label)}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>

      <FloatingTimer />
    </div>
    </TimerHandoffProvider>
  )
}
