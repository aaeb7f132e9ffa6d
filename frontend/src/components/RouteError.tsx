import { Link, isRouteErrorResponse, useRouteError } from 'react-router'

/** Router-level error boundary (a crashed page or a failed lazy chunk load). */
export function RouteError() {
  const error = useRouteError()
  const message = isRouteErrorResponse(error)
    ? `${error.status} ${error.statusText}`
    : error instanceof Error
      ? error.message
      : 'Unknown error'
  return (
    <main id="main" className="mx-auto max-w-xl px-4 py-16">
      <title>Error · Mirubato</title>
      <h1 className="text-2xl font-semibold text-sage-900">Something went wrong</h1>
      <p role="alert" className="mt-3 text-sage-700">
        {message}
      </p>
      <p className="mt-4">
        <Link className="text-sage-800 underline" to="/">
          Back to the start
        </Link>
      </p>
    </main>
  )
}
