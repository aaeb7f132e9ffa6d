import { Placeholder } from '../components/Page'

export default function Scorebook() {
  return <Placeholder title="Scorebook" next="Your score library — uploading, browsing and reading sheet music — lands here next." />
}
