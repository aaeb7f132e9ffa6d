import { lazy } from 'react'
import { createBrowserRouter } from 'react-router'
import { Layout } from './components/Layout'
import { RouteError } from './components/RouteError'

// Every page is its own chunk; only the shell (layout + nav) is in the entry bundle.
const Home = lazy(() => import('./pages/Home'))
const Logbook = lazy(() => import('./pages/Logbook'))
const Repertoire = lazy(() => import('./pages/Repertoire'))
const Scorebook = lazy(() => import('./pages/Scorebook'))
const Toolbox = lazy(() => import('./pages/Toolbox'))
const Profile = lazy(() => import('./pages/Profile'))
const Status = lazy(() => import('./pages/Status'))
const NotFound = lazy(() => import('./pages/NotFound'))

export const router = createBrowserRouter([
  {
    path: '/',
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      { index: true, element: <Home /> },
      { path: 'logbook', element: <Logbook /> },
      { path: 'repertoire', element: <Repertoire /> },
      { path: 'scorebook', element: <Scorebook /> },
      { path: 'toolbox', element: <Toolbox /> },
      { path: 'profile', element: <Profile /> },
      { path: 'status', element: <Status /> },
      { path: '*', element: <NotFound /> },
    ],
  },
])
