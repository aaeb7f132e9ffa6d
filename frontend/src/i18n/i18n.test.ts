import { describe, expect, it } from 'vitest'
import { LANGUAGES, format, loadMessages, matchLanguage } from '.'
import { en } from './en'

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

describe('translations', () => {
  for (const language of LANGUAGES) {
    it(`${language} translates every key, with the same placeholders`, async () => {
      const messages = await loadMessages(language)
      expect(Object.keys(messages).sort()).toEqual(Object.keys(en).sort())
      for (const [key, source] of Object.entries(en)) {
        const text = messages[key as keyof typeof en]
        expect(text.trim(), `${language} ${key}`).not.toBe('')
        expect(placeholders(text), `${language} ${key}`).toEqual(placeholders(source))
      }
    })
  }

  it('translates rather than copying English (beyond names, units and symbols)', async () => {
    for (const language of LANGUAGES.filter((l) => l !== 'en')) {
      const messages = await loadMessages(language)
      const same = Object.keys(en).filter((key) => messages[key as keyof typeof en] === en[key as keyof typeof en])
      expect(same.length, `${language} keeps ${same.join(', ')}`).toBeLessThan(15)
    }
  })
})

describe('language helpers', () => {
  it('matches browser tags to supported languages', () => {
    expect(matchLanguage('de-AT')).toBe('de')
    expect(matchLanguage('zh-HK')).toBe('zh-TW')
    expect(matchLanguage('zh-Hant')).toBe('zh-TW')
    expect(matchLanguage('zh')).toBe('zh-CN')
    expect(matchLanguage('ja')).toBe('en')
    expect(matchLanguage(undefined)).toBe('en')
  })

  it('fills placeholders and leaves unknown ones', () => {
    expect(format('{count} of {total}', { count: 1 })).toBe('1 of {total}')
  })
})
