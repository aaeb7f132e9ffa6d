import react from '@vitejs/plugin-react'
import tailwindcss from '@tailwindcss/vite'
import { defineConfig } from 'vitest/config'
import { initialJsBudget, preloadFonts, serviceWorker } from './build/plugins.ts'

// Output goes to frontend/dist, which the frontend worker serves as static assets.
export default defineConfig({
  plugins: [react(), tailwindcss(), initialJsBudget(), preloadFonts(), serviceWorker(new URL('./src/sw.js', import.meta.url))],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
  },
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'build/**/*.test.ts'],
    environment: 'node',
  },
})
