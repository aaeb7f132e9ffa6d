/** Shown instead of the app when /config.json cannot be loaded or is invalid. */
export function ConfigErrorScreen({ message }: { message: string }) {
  return (
    <main className="mx-auto max-w-xl px-4 py-16">
      <h1 className="text-2xl font-semibold text-sage-900">Mirubato could not start</h1>
      <p className="mt-3 text-sage-700">The app configuration could not be loaded.</p>
      <pre
        role="alert"
        className="mt-4 overflow-x-auto rounded-md border border-red-200 bg-red-50 p-3 text-sm whitespace-pre-wrap text-red-900"
      >
        {message}
      </pre>
      <p className="mt-4">
        <a className="text-sage-800 underline" href="/">
          Try again
        </a>
      </p>
    </main>
  )
}
