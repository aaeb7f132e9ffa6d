import { createContext, use } from 'react'
import { en, type MessageKey } from './en'

export const LANGUAGES = ['en', 'es', 'fr', 'de', 'zh-CN', 'zh-TW'] as const
export type Language = (typeof LANGUAGES)[number]

export const LANGUAGE_NAMES: Record<Language, string> = {
  en: 'English',
  es: 'Español',
  fr: 'Français',
  de: 'Deutsch',
  'zh-CN': '简体中文',
  'zh-TW': '繁體中文',
}

export type Messages = Record<MessageKey, string>

/** Each language but English is its own chunk, loaded when chosen. */
const LOADERS: Record<Exclude<Language, 'en'>, () => Promise<Messages>> = {
  es: () => import('./es').then((m) => m.es),
  fr: () => import('./fr').then((m) => m.fr),
  de: () => import('./de').then((m) => m.de),
  'zh-CN': () => import('./zh-CN').then((m) => m.zhCN),
  'zh-TW': () => import('./zh-TW').then((m) => m.zhTW),
}

export async function loadMessages(language: Language): Promise<Messages> {
  return language === 'en' ? en : LOADERS[language]()
}

/** The best supported language for a BCP 47 tag (`zh-HK` → `zh-TW`, `de-AT` → `de`). */
export function matchLanguage(tag: string | undefined | null): Language {
  if (!tag) return 'en'
  const lower = tag.toLowerCase()
  if (lower.startsWith('zh')) return /tw|hk|mo|hant/.test(lower) ? 'zh-TW' : 'zh-CN'
  const base = lower.split('-')[0]
  return (LANGUAGES as readonly string[]).includes(base) ? (base as Language) : 'en'
}

/** `{name}` placeholders filled from `params`. */
export function format(template: string, params?: Record<string, string | number>): string {
  if (!params) return template
  return template.replace(/\{(\w+)\}/g, (match, name: string) =>
    name in params ? String(params[name]) : match,
  )
}

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string

export interface I18n {
  language: Language
  t: Translate
  setLanguage: (language: Language) => void
}

export const I18nContext = createContext<I18n>({
  language: 'en',
  t: (key, params) => format(en[key], params),
  setLanguage: () => {},
})

export function useI18n(): I18n {
  return use(I18nContext)
}

export type { MessageKey }
