import { RouterProvider } from 'react-router'
import type { AppConfig } from './config'
import { ConfigProvider } from './config-context'
import { router } from './router'
import { ServicesProvider } from './services'

export function App({ config }: { config: AppConfig }) {
  return (
    <ConfigProvider config={config}>
      <ServicesProvider>
        <RouterProvider router={router} />
      </ServicesProvider>
    </ConfigProvider>
  )
}
