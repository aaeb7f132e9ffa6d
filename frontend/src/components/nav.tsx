import type { ReactNode } from 'react'
import type { MessageKey } from '../i18n'

export interface NavItem {
  to: string
  label: MessageKey
  icon: ReactNode
}

function Icon({ children }: { children: ReactNode }) {
  return (
    <svg
      aria-hidden="true"
      viewBox="0 0 24 24"
      width="22"
      height="22"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      {children}
    </svg>
  )
}

export const NAV_ITEMS: NavItem[] = [
  {
    to: '/logbook',
    label: 'nav.logbook',
    icon: (
      <Icon>
        <path d="M5 4h11a3 3 0 0 1 3 3v13H8a3 3 0 0 1-3-3z" />
        <path d="M9 9h6M9 13h6" />
      </Icon>
    ),
  },
  {
    to: '/reports',
    label: 'nav.reports',
    icon: (
      <Icon>
        <path d="M4 20V10M10 20V4M16 20v-7M22 20H2" />
      </Icon>
    ),
  },
  {
    to: '/repertoire',
    label: 'nav.repertoire',
    icon: (
      <Icon>
        <path d="M9 18V6l10-2v12" />
        <circle cx="6.5" cy="18" r="2.5" />
        <circle cx="16.5" cy="16" r="2.5" />
      </Icon>
    ),
  },
  {
    to: '/goals',
    label: 'nav.goals',
    icon: (
      <Icon>
        <circle cx="12" cy="12" r="8" />
        <circle cx="12" cy="12" r="3" />
      </Icon>
    ),
  },
  {
    to: '/planning',
    label: 'nav.planning',
    icon: (
      <Icon>
        <rect x="4" y="5" width="16" height="15" rx="2" />
        <path d="M4 10h16M9 3v4M15 3v4" />
      </Icon>
    ),
  },
  {
    to: '/scorebook',
    label: 'nav.scorebook',
    icon: (
      <Icon>
        <path d="M4 5h16v14H4z" />
        <path d="M4 9h16M4 12h16M4 15h16" />
      </Icon>
    ),
  },
  {
    to: '/toolbox',
    label: 'nav.toolbox',
    icon: (
      <Icon>
        <circle cx="12" cy="13" r="7" />
        <path d="M12 13l3-3M12 3v3" />
      </Icon>
    ),
  },
  {
    to: '/profile',
    label: 'nav.profile',
    icon: (
      <Icon>
        <circle cx="12" cy="8" r="4" />
        <path d="M4 21a8 8 0 0 1 16 0" />
      </Icon>
    ),
  },
  {
    to: '/status',
    label: 'nav.status',
    icon: (
      <Icon>
        <path d="M3 12h4l3-7 4 14 3-7h4" />
      </Icon>
    ),
  },
]
