import { Placeholder } from '../components/Page'

export default function Logbook() {
  return <Placeholder title="Logbook" next="Practice entries — logging a session, listing and searching past sessions — land here next." />
}
