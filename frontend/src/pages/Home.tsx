import { Link } from 'react-router'

export default function Home() {
  return (
    <div className="mx-auto max-w-3xl px-4 py-10 md:px-8 md:py-16">
      <title>Mirubato</title>
      <h1 className="text-3xl font-semibold tracking-tight text-sage-900 md:text-4xl">Mirubato</h1>
      <p className="mt-4 text-lg text-sage-800">
        Your practice journal: log what you play, keep track of your repertoire and your scores, and
        see how your practice adds up over time.
      </p>
      <p className="mt-8">
        <Link
          to="/logbook"
          className="inline-block rounded-md bg-sage-700 px-4 py-2 font-medium text-white hover:bg-sage-800"
        >
          Open your logbook
        </Link>
      </p>
    </div>
  )
}
