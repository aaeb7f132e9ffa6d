import { Placeholder } from '../components/Page'

export default function Repertoire() {
  return <Placeholder title="Repertoire" next="The pieces you are learning, with their status and goals, land here next." />
}
