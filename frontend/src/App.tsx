import { RouterProvider } from 'react-router'
import type { AppConfig } from './config'
import { ConfigProvider } from './config-context'
import { router } from './router'

export function App({ config }: { config: AppConfig }) {
  return (
    <ConfigProvider config={config}>
      <RouterProvider router={router} />
    </ConfigProvider>
  )
}
