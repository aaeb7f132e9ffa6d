import { useState, type ReactNode } from 'react'
import { Link } from 'react-router'
import { useI18n } from '../../i18n'
import { generateScoreId } from '../../lib/ids'
import { formatMinutes, type Entry } from '../../lib/reports'
import { Badge, Button, type Tone } from '../../ui'
import { ENTRY_TYPES, MOODS } from './EntryForm'

const TYPE_TONES: Record<string, Tone> = { practice: 'green', lesson: 'violet', performance: 'amber', rehearsal: 'blue', technique: 'rose' }
const MOOD_TONES: Record<string, Tone> = { frustrated: 'rose', neutral: 'neutral', satisfied: 'green', excited: 'amber' }

/** Notes longer than this (or of several lines) start folded. */
const LONG_NOTES = 160

/**
 * One logbook entry: its pieces (linked to their repertoire page when the piece is there), time
 * and duration, badges for type, instrument, mood, techniques and tags, notes that unfold, and
 * its recordings.
 */
export function EntryCard({
  entry,
  repertoire,
  onEdit,
  onDuplicate,
  onDelete,
  children,
}: {
  entry: Entry
  /** Repertoire item id by score id. */
  repertoire: Map<string, string>
  onEdit: () => void
  onDuplicate: () => void
  onDelete: () => void
  children?: ReactNode
}) {
  const { t, language } = useI18n()
  const [expanded, setExpanded] = useState(false)
  const time = new Date(entry.timestamp).toLocaleTimeString(language, { hour: '2-digit', minute: '2-digit' })
  const typeLabel = (ENTRY_TYPES as readonly string[]).includes(entry.type) ? t(`type.${entry.type}` as 'type.practice') : entry.type
  const mood = entry.mood && (MOODS as readonly string[]).includes(entry.mood) ? t(`mood.${entry.mood}` as 'mood.neutral') : entry.mood
  const pieces = entry.pieces ?? []
  const notes = entry.notes?.trim() ?? ''
  const long = notes.length > LONG_NOTES || notes.split('\n').length > 3

  return (
    <li className="card" data-testid="entry" data-entry-id={entry.id}>
      <div className="flex flex-wrap items-start gap-x-4 gap-y-2">
        <div className="min-w-0 grow">
          <p className="font-title text-lg leading-snug break-words">
            {pieces.length === 0
              ? typeLabel
              : pieces.map((piece, index) => {
                  const itemId = repertoire.get(piece.id ?? generateScoreId(piece.title, piece.composer))
                  return (
                    <span key={`${piece.id ?? piece.title}-${index}`}>
                      {index > 0 && <span className="text-ink-muted">, </span>}
                      {itemId ? (
                        <Link to={`/repertoire/${encodeURIComponent(itemId)}`} className="underline-offset-2 hover:underline">
                          {piece.title}
                        </Link>
                      ) : (
                        piece.title
                      )}
                      {piece.composer && (
                        <span className="text-base text-ink-muted">
                          <span aria-hidden> | </span>
                          <span className="sr-only"> — </span>
                          {piece.composer}
                        </span>
                      )}
                    </span>
                  )
                })}
          </p>
          <p className="mt-1 flex flex-wrap items-center gap-x-2 gap-y-1 text-sm text-ink-muted">
            <time dateTime={entry.timestamp}>{time}</time>
            <span aria-hidden>•</span>
            <span className="font-medium text-ink">{formatMinutes(entry.duration)}</span>
            <Badge tone={TYPE_TONES[entry.type] ?? 'neutral'}>{typeLabel}</Badge>
            {entry.instrument && <Badge>{entry.instrument}</Badge>}
            {mood && (
              <Badge tone={MOOD_TONES[entry.mood ?? ''] ?? 'neutral'} title={t('logbook.mood')}>
                {mood}
              </Badge>
            )}
            {(entry.techniques ?? []).map((technique) => (
              <Badge key={`t-${technique}`} tone="blue">
                {technique}
              </Badge>
            ))}
            {(entry.tags ?? []).map((tag) => (
              <Badge key={`#-${tag}`}>#{tag}</Badge>
            ))}
          </p>
        </div>
        <div className="flex gap-1" role="group" aria-label={t('logbook.entryActions')}>
          <Button variant="ghost" onClick={onEdit}>
            {t('common.edit')}
          </Button>
          <Button variant="ghost" onClick={onDuplicate}>
            {t('logbook.duplicate')}
          </Button>
          <Button variant="ghost" className="text-danger" onClick={onDelete}>
            {t('common.delete')}
          </Button>
        </div>
      </div>
      {notes && (
        <div className="mt-2">
          <p className={`text-sm whitespace-pre-wrap text-sage-800 ${long && !expanded ? 'line-clamp-3' : ''}`}>{notes}</p>
          {long && (
            <Button variant="ghost" className="mt-1 -ml-2" aria-expanded={expanded} onClick={() => setExpanded(!expanded)}>
              {expanded ? t('logbook.showLess') : t('logbook.showMore')}
            </Button>
          )}
        </div>
      )}
      {children}
    </li>
  )
}
