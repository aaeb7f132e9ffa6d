import { lazy } from 'react'
import { createBrowserRouter } from 'react-router'
import { Layout } from './components/Layout'
import { RouteError } from './components/RouteError'

// Every page is its own chunk; only the shell (layout + nav) is in the entry bundle.
const Home = lazy(() => import('./pages/Home'))
const Logbook = lazy(() => import('./pages/Logbook'))
const Reports = lazy(() => import('./pages/Reports'))
const Repertoire = lazy(() => import('./pages/Repertoire'))
const PieceDetail = lazy(() => import('./pages/PieceDetail'))
const Goals = lazy(() => import('./pages/Goals'))
const Planning = lazy(() => import('./pages/Planning'))
const Scorebook = lazy(() => import('./pages/Scorebook'))
const ScoreDetail = lazy(() => import('./pages/ScoreDetail'))
const Toolbox = lazy(() => import('./pages/Toolbox'))
const Dictionary = lazy(() => import('./pages/Dictionary'))
const Profile = lazy(() => import('./pages/Profile'))
const Status = lazy(() => import('./pages/Status'))
const SignIn = lazy(() => import('./pages/SignIn'))
const Verify = lazy(() => import('./pages/Verify'))
const NotFound = lazy(() => import('./pages/NotFound'))

export const router = createBrowserRouter([
  {
    path: '/',
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      { index: true, element: <Home /> },
      { path: 'logbook', element: <Logbook /> },
      { path: 'reports', element: <Reports /> },
      { path: 'repertoire', element: <Repertoire /> },
      { path: 'repertoire/:id', element: <PieceDetail /> },
      { path: 'goals', element: <Goals /> },
      { path: 'planning', element: <Planning /> },
      { path: 'scorebook', element: <Scorebook /> },
      { path: 'scorebook/:id', element: <ScoreDetail /> },
      { path: 'toolbox', element: <Toolbox /> },
      { path: 'toolbox/dictionary', element: <Dictionary /> },
      { path: 'toolbox/dictionary/:term', element: <Dictionary /> },
      { path: 'profile', element: <Profile /> },
      { path: 'status', element: <Status /> },
      { path: 'signin', element: <SignIn /> },
      { path: 'auth/verify', element: <Verify /> },
      { path: '*', element: <NotFound /> },
    ],
  },
])
