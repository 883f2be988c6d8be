import { IDENTITY_TERMS } from './identity-terms.ts';

/**
 * Words of corporate news — who speaks for a company and what it announces — carry no sentiment in
 * earshot's scores, like identity terms (`identity-terms.ts`) and proper names.
 *
 * A brand monitor reads press coverage and company announcements all day. Trained freely on reviews,
 * tweets and newspaper editorials, the model had learned "ceo" −0.79, "executive" −0.76, "investors"
 * −0.77, "revenue" −0.61 and "spokesman" −0.48, but "founder" +0.78, "interview" +0.63, "launch"
 * +0.62 and "announced" +0.52: what those words happened to go with in editorials and film reviews.
 * So "Acme's CEO will speak at the conference tomorrow." scored −0.47 (a negative-mention alert), and
 * every launch leaned positive. Whether the news is good is in the other words ("record", "layoffs",
 * "lawsuit", "recall" keep their weights).
 */
export const NEWS_WORDS: ReadonlySet<string> = new Set([
  // who speaks for a company
  'ceo',
  'cfo',
  'cto',
  'coo',
  'cmo',
  'exec',
  'execs',
  'executive',
  'executives',
  'chairman',
  'chairwoman',
  'chairperson',
  'founder',
  'founders',
  'cofounder',
  'co-founder',
  'spokesman',
  'spokeswoman',
  'spokesperson',
  'spokespeople',
  'shareholder',
  'shareholders',
  'investor',
  'investors',
  'analyst',
  'analysts',
  // what it announces, and where
  'announce',
  'announced',
  'announces',
  'announcing',
  'announcement',
  'announcements',
  'unveil',
  'unveiled',
  'unveils',
  'launch',
  'launched',
  'launches',
  'launching',
  'acquire',
  'acquired',
  'acquires',
  'acquisition',
  'acquisitions',
  'merger',
  'mergers',
  'ipo',
  'earnings',
  'revenue',
  'revenues',
  'quarter',
  'quarterly',
  'fiscal',
  'stock',
  'stocks',
  'conference',
  'keynote',
  'interview',
  'statement',
  'press',
]);

/** Every word scored like an identity term: the identity terms and the words of corporate news. */
export const WORDS_WITHOUT_SENTIMENT: ReadonlySet<string> = new Set([...IDENTITY_TERMS, ...NEWS_WORDS]);
