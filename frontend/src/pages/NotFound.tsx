import { Link, useLocation } from 'react-router'
import { Page } from '../components/Page'

export default function NotFound() {
  const { pathname } = useLocation()
  return (
    <Page title="Page not found">
      <p className="mt-3 text-sage-700">
        There is no page at <code className="rounded bg-sage-100 px-1">{pathname}</code>.
      </p>
      <p className="mt-4">
        <Link className="text-sage-800 underline" to="/">
          Go to the start page
        </Link>
      </p>
    </Page>
  )
}
