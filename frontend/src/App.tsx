import type { ReactNode } from 'react'
import { RouterProvider } from 'react-router'
import type { AppConfig } from './config'
import { ConfigProvider } from './config-context'
import { router } from './router'
import { useI18n } from './i18n'
import { ServicesProvider } from './services'
import { ToastProvider } from './ui'

export function App({ config }: { config: AppConfig }) {
  return (
    <ConfigProvider config={config}>
      <ServicesProvider>
        <Toasts>
          <RouterProvider router={router} />
        </Toasts>
      </ServicesProvider>
    </ConfigProvider>
  )
}

/** Toasts outlive a route change (an "Undo" stays while the musician moves on). */
function Toasts({ children }: { children: ReactNode }) {
  const { t } = useI18n()
  return <ToastProvider dismissLabel={t('common.dismiss')}>{children}</ToastProvider>
}
