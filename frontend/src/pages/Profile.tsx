import { Placeholder } from '../components/Page'

export default function Profile() {
  return <Placeholder title="Profile" next="Sign-in, your account and your preferences land here next." />
}
