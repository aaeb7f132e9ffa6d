import { Placeholder } from '../components/Page'

export default function Toolbox() {
  return <Placeholder title="Toolbox" next="Practice tools such as a metronome and practice timer land here next." />
}
