import type { ReactNode } from 'react'

export interface NavItem {
  to: string
  label: string
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
    label: 'Logbook',
    icon: (
      <Icon>
        <path d="M5 4h11a3 3 0 0 1 3 3v13H8a3 3 0 0 1-3-3z" />
        <path d="M9 9h6M9 13h6" />
      </Icon>
    ),
  },
  {
    to: '/repertoire',
    label: 'Repertoire',
    icon: (
      <Icon>
        <path d="M9 18V6l10-2v12" />
        <circle cx="6.5" cy="18" r="2.5" />
        <circle cx="16.5" cy="16" r="2.5" />
      </Icon>
    ),
  },
  {
    to: '/scorebook',
    label: 'Scorebook',
    icon: (
      <Icon>
        <path d="M4 5h16v14H4z" />
        <path d="M4 9h16M4 12h16M4 15h16" />
      </Icon>
    ),
  },
  {
    to: '/toolbox',
    label: 'Toolbox',
    icon: (
      <Icon>
        <circle cx="12" cy="13" r="7" />
        <path d="M12 13l3-3M12 3v3" />
      </Icon>
    ),
  },
  {
    to: '/profile',
    label: 'Profile',
    icon: (
      <Icon>
        <circle cx="12" cy="8" r="4" />
        <path d="M4 21a8 8 0 0 1 16 0" />
      </Icon>
    ),
  },
  {
    to: '/status',
    label: 'Status',
    icon: (
      <Icon>
        <path d="M3 12h4l3-7 4 14 3-7h4" />
      </Icon>
    ),
  },
]
