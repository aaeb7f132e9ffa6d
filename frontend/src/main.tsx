import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import { errorMessage, loadConfig } from './config'
import { ConfigErrorScreen } from './components/ConfigErrorScreen'
import './index.css'

const container = document.getElementById('root')
if (!container) throw new Error('#root element missing from index.html')
const root = createRoot(container)

loadConfig().then(
  (config) =>
    root.render(
      <StrictMode>
        <App config={config} />
      </StrictMode>,
    ),
  (err: unknown) => root.render(<ConfigErrorScreen message={errorMessage(err)} />),
)

// The service worker caches the app shell so the app opens offline (production builds only:
// in development it would serve stale modules).
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    void navigator.serviceWorker.register('/sw.js')
  })
}
