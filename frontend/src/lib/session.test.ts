import { describe, expect, it } from 'vitest'
import type { User } from '../generated/User'
import { SessionStore } from './session'

function memoryStorage() {
  const map = new Map<string, string>()
  return {
    map,
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
  }
}

const user = { id: 'u1', email: 'a@example.com' } as User

describe('SessionStore', () => {
  it('keeps the rotated pair across reloads', () => {
    const storage = memoryStorage()
    const store = new SessionStore(storage)
    store.set({ user, accessToken: 'a1', refreshToken: 'r1' })
    store.setTokens({ accessToken: 'a2', refreshToken: 'r2' })
    expect(new SessionStore(storage).tokens()).toMatchObject({ accessToken: 'a2', refreshToken: 'r2' })
  })

  it('tells a session the server ended from a sign-out here', () => {
    const storage = memoryStorage()
    const store = new SessionStore(storage)
    let changes = 0
    store.subscribe(() => (changes += 1))
    store.set({ user, accessToken: 'a', refreshToken: 'r' })
    store.expire()
    expect(store.session()).toBeNull()
    expect(storage.map.size).toBe(0)
    expect(store.endedByServer).toBe(true)
    // A second report of the same end changes nothing.
    store.expire()
    expect(changes).toBe(2)

    store.set({ user, accessToken: 'b', refreshToken: 's' })
    expect(store.endedByServer).toBe(false)
    store.set(null)
    expect(store.endedByServer).toBe(false)
    store.expire()
    expect(store.endedByServer).toBe(false)
  })
})
