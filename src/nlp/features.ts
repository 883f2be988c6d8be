/**
 * Features of a text for the sentiment model, read off one wink-nlp document: words (marked when
 * inside a negation's scope, repeated when they follow a contrast), bigrams, emoji and emoticons,
 * hashtag words, complaint and churn patterns, intensity cues (CAPS, "!!!", elongated words) and
 * wink's own lexicon score. The same function serves training and scoring, so they cannot drift.
 */
import { WORDS_WITHOUT_SENTIMENT } from './news-words.ts';
import type { ReadSentence, ReadText } from './read.ts';

export type Features = Map<string, number>;

const CONTRAST = new Set(['but', 'however', 'yet', 'nevertheless', 'nonetheless']);
/** Conjunctions that open the lesser clause (a concession) rather than the one that counts. */
const CONCESSIVE = new Set(['although', 'though', 'whereas', 'while']);
const BOOSTERS = new Set([
  'very',
  'really',
  'so',
  'extremely',
  'totally',
  'absolutely',
  'completely',
  'incredibly',
  'super',
  'utterly',
  'highly',
  'terribly',
  'awfully',
  'truly',
  'seriously',
  'insanely',
  'ridiculously',
]);

/**
 * Complaint and churn phrasings that carry no sentiment word ("I will not be flying with you again").
 * Matched on the lowercased text; each is a feature the model weighs, and an explanation.
 */
export type Pattern = {
  id: string;
  re: RegExp;
  valence: number;
  /**
   * An idiom: its words mean what it means, not what they mean alone ("can't recommend it enough" is
   * no negated "recommend", "is fire" no fire): the reader marks its tokens (`ReadText.inIdiom`), which
   * then have no valence of their own, in earshot's lexicon or wink-nlp's scores, and whose negation
   * negates nothing.
   */
  idiom?: true;
  /**
   * Its words are unsaid: no valence and no word feature, the pattern speaks for them. For phrasings
   * the public sets hardly hold, whose words the model learned from other uses ("answered" from "no
   * one answered", "treat" from "a real treat"): those weights would read the phrase backwards. Also
   * for praise idioms ("can't fault" is no "fault") and problems put right ("sorted it"); not for
   * complaint idioms, whose own weight is too small to carry them alone ("is mid" read as praise).
   */
  unsaid?: true;
};
export const PATTERNS: readonly Pattern[] = [
  {
    id: 'never-again',
    re: /\bnever\s+(?:again|coming back|return|recommend|buy|use|fly|order)/,
    valence: -2.0,
  },
  {
    id: 'will-not-again',
    re: /\b(?:will|would|'ll)\s+(?:not|never)\s+(?:be\s+)?(?:\w+ing|\w+)\s+(?:\w+\s+){0,4}again\b/,
    valence: -2.0,
  },
  {
    id: 'not-coming-back',
    re: /\b(?:not|never|won't|wont)\s+(?:be\s+)?(?:coming|going)\s+back\b/,
    valence: -2.0,
  },
  { id: 'waste', re: /\bwaste\s+of\s+(?:money|time|space)\b/, valence: -2.0 },
  {
    // "still waiting", "no reply", "support has not replied in 3 days", "never heard back", "their hold
    // music has been playing for 50 minutes".
    id: 'still-waiting',
    re: /\b(?:still|been)\s+waiting\b|\bbeen\s+on\s+hold\b|\bhold\s+music\b|\bon\s+hold\s+(?:for|since)\b|\b(?:hours?|minutes?|mins?)\s+on\s+hold\b|\bno\s+(?:reply|response|answer|one\s+(?:answers|answered|called))\b|\b(?:has|have|had)\s*(?:n[o']t|never)\s+(?:replied|responded|answered|got(?:ten)?\s+back|heard\s+back|called\s+(?:me\s+)?back)\b|\bnever\s+(?:replied|responded|heard\s+back|got\s+back|called\s+(?:me\s+)?back)\b|\bno\s+one\s+(?:has\s+)?(?:replied|responded|answered|got\s+back)\b|(?<!\b(?:only|just|barely|never)\s+)\bwaited\s+(?:for\s+)?(?:over\s+|almost\s+|nearly\s+|about\s+|more\s+than\s+)?(?:an?|one|two|three|four|five|six|\d+)\s+(?:minutes?|mins?|hours?|hrs?|days?|weeks?)\b|\b(?:it['’]?s|it\s+has|has)\s+been\s+(?:over\s+|almost\s+|nearly\s+|more\s+than\s+)?(?:an?|one|two|three|four|five|six|\d+)\s+(?:days?|weeks?|months?)(?=\s*(?:[.!,;]|$|and\s+(?:still|nothing|no)\b))/,
    valence: -2.0,
  },
  {
    id: 'does-not-work',
    re: /\b(?:does\s*n[o']t|doesnt|did\s*n[o']t|didnt|won'?t|stopped|not)\s+work(?:ing|s|ed)?\b/,
    valence: -2.0,
  },
  {
    id: 'broken',
    re: /\b(?:broke|broken|crash(?:es|ed|ing)?|freez(?:es|ing)|froze|fail(?:s|ed|ing)?|stuck|dead|tim(?:es|ed|ing)\s+out|drain(?:s|ed|ing)?\s+(?:my\s+|the\s+)?battery|(?:please|pls|plz)\s+fix|(?:shrank|shrunk|faded|fell\s+apart|came\s+apart|ripped|tore|peeled|pilled|frayed)\s+(?:\w+\s+){0,3}?after|(?:arrived|came|showed\s+up|turned\s+up)\s+(?:\w+\s+){0,2}?(?:in\s+pieces|smashed|shattered|cracked|dented|crushed)|(?:second|third|fourth|fifth|2nd|3rd|4th|5th)\s+(?:\w+\s+){0,2}?(?:this|in\s+(?:a|one|the\s+same))\s+(?:week|month|year))\b/,
    valence: -2.0,
  },
  {
    id: 'cancel-switch',
    re: /\b(?:cancel(?:l?ed|l?ing)?|unsubscrib\w*|switch(?:ed|ing)?\s+to|moving\s+to|leaving)\b/,
    valence: -2.0,
  },
  {
    // "refund", "charged me twice", "billed us three times", "double-charged".
    id: 'refund',
    re: /\b(?:refund|money\s+back|overcharg\w*|(?:charg(?:ed|es|ing)|bill(?:ed|s|ing))\s+(?:me\s+|us\s+|you\s+)?(?:twice|double|two\s+times|three\s+times)|double[-\s]?(?:charged|billed))\b/,
    valence: -2.0,
  },
  { id: 'no-x-no-y', re: /\bno\s+\w+\s*,\s*no\s+\w+/, valence: -2.0 },
  {
    // "the site is down again", "app went down" (not "prices went down": the subject is a service),
    // "another outage".
    id: 'service-down',
    re: /\b(?:site|app|server|servers|service|website|platform|api|system|login|checkout|portal)\s+(?:is|was|are|were|went|goes|has\s+been|have\s+been|keeps\s+going|'s)\s+(?:\w+\s+)?down\b|\b(?:another|an|the|this|massive|major)\s+(?:\w+\s+)?outage\b|\boutages?\s+(?:again|today)\b/,
    valence: -2.0,
  },
  {
    id: 'cannot-access',
    re: /\b(?:can'?t|cannot|can\s+not|unable\s+to|won'?t\s+let\s+me)\s+(?:log\s*(?:back\s+)?in|login|sign\s*(?:back\s+)?in|access|connect|load|open)\b|\b(?:locked|logged|kicked|signed)\s+(?:me\s+)?out\b|\blogs?\s+(?:me|us)\s+out\b|\b(?:won['’]?t|will\s+not|does\s*n['’]?t|doesnt|did\s*n['’]?t)\s+(?:let|allow)\s+(?:me|us)\s+(?!down\b)\w+|\b(?:keeps?|kept)\s+(?:logging|kicking|signing|locking)\s+(?:me|us)\s+out\b|\b(?:not|won'?t|doesn'?t|isn'?t)\s+load(?:ing)?\b/,
    valence: -2.0,
  },
  {
    // "it says delivered but it's not here", "never arrived", "still hasn't shown up", "lost my parcel".
    id: 'not-delivered',
    re: /\b(?:nobody|no\s+one|no-one)\s+(?:came|showed\s+up|turned\s+up)\b|(?:\bnever|\bnot|n['’]t|\bstill\s+not|\byet\s+to)\s+(?:arrived?|received?|been\s+delivered|delivered|shown\s+up|showed\s+up|turned\s+up)\b|\b(?:says|said|shows|showed|marked(?:\s+as)?)\s+(?:it\s+was\s+)?delivered\b|\bwhere\s+is\s+my\s+(?:order|package|parcel|delivery)\b|\b(?:lost|missing)\s+(?:my\s+|our\s+|the\s+)?(?:package|parcel|order|delivery)\b|\bleft\s+(?:my|the|our)\s+(?:package|parcel|delivery|order|box)\s+(?:in\s+the\s+(?:rain|street|road|bin|gutter|bushes|hedge|snow)|on\s+the\s+(?:street|road|pavement|sidewalk|curb|kerb))\b/,
    valence: -2.0,
  },
  {
    // "Acme raised prices again", "price hike", "the fee went up", "they doubled the subscription".
    id: 'price-hike',
    re: /\b(?:(?:raised|raising|raises|hiked|hiking|hikes|increased|increasing|doubled|doubling|jacked\s+up|bumped\s+up)\s+(?:the\s+|their\s+|its\s+|our\s+|my\s+|his\s+|her\s+)?(?:\w+\s+)?(?:prices?|fees?|rates?|subscription|membership|plan)|(?:price|fee|rate)\s+(?:hikes?|increases?)|(?:prices?|fees?|rates?|bills?)\s+(?:went|go|goes|keep\s+going|are\s+going|have\s+gone|has\s+gone)\s+up|(?:prices?|fees?|rates?|bills?|costs?)\s+(?:have\s+|has\s+|had\s+)?(?:doubled|tripled|skyrocketed|soared|gone\s+through\s+the\s+roof)|(?<=[£$€])\d+(?:[.,]\d+)?\s+more\s+than\s+(?:last|before|it\s+was|usual))\b/,
    valence: -2.0,
  },
  {
    // "my order is late again", "arrived three days late", "third delay this month".
    id: 'late',
    re: /\b(?:late\s+again|(?:arrived|came|showed\s+up|delivered|shipped)\s+late|(?:days?|weeks?|hours?)\s+late|always\s+late|late\s+(?:delivery|deliveries|order|parcel|package|flight|shipment)|delayed\s+(?:again|delivery|order|flight|shipment|parcel|package)|(?:another|second|third|fourth)\s+delay(?:ed)?)\b/,
    valence: -2.0,
  },
  {
    // "sent me the wrong size", "got a used item instead of a new one", "received a damaged box".
    id: 'wrong-item',
    re: /\b(?:(?:sent|send|sends|got|received|delivered|shipped)\s+(?:me\s+|us\s+)?(?:a|an|the|my)\s+(?:used|wrong|different|damaged|opened|refurbished|second[-\s]hand|dented|expired|fake|counterfeit)|instead\s+of\s+(?:the\s+one|what)\s+(?:i|we)\s+(?:ordered|paid\s+for|bought)|(?:sent|shipped|delivered|posted|mailed)\s+(?:it\s+|them\s+|my\s+\w+\s+|our\s+\w+\s+|the\s+\w+\s+)?to\s+(?:my\s+old|our\s+old|an\s+old|the\s+wrong|a\s+different|the\s+old)\s+address)\b/,
    valence: -2.0,
  },
  {
    // "the battery barely lasts 3 hours", "hardly works", "barely usable".
    id: 'barely-works',
    re: /\b(?:barely|hardly)\s+(?:works?|worked|lasts?|lasted|holds?|charges?|fits?|functions?|usable|runs?|loads?|connects?)\b/,
    valence: -2.0,
  },
  {
    // "the chat agent disconnected on me", "hung up on me", "cut me off", "removed the feature I use".
    id: 'cut-off',
    re: /\b(?:(?:disconnected|hung\s+up|hangs\s+up|logged\s+off)\s+on\s+(?:me|us)|hung\s+up(?=\s*(?:[.!,;]|$)|\s+(?:again|twice|after|mid))|cut\s+(?:me|us)\s+off|(?:removed|took\s+away|got\s+rid\s+of|killed|dropped)\s+(?:the\s+|a\s+|my\s+|our\s+|their\s+|its\s+)?(?:\w+\s+){0,2}(?:feature|option|button|setting|ability|integration))\b/,
    valence: -2.0,
  },
  {
    // "the update deleted all my saved playlists", "wiped our files", "lost all my photos".
    id: 'lost-data',
    re: /\b(?:deleted|wiped|erased|lost|removed)\s+(?:all\s+(?:of\s+)?)?(?:my|our)\s+(?:\w+\s+){0,2}?(?:data|files?|photos?|pictures?|playlists?|contacts?|messages?|emails?|notes?|history|progress|settings|saves?|documents?|bookmarks?|music|songs?|videos?|account)\b/,
    valence: -2.0,
    unsaid: true,
  },
  {
    // "Loyal customer for 10 years and this is how you treat me?", "treats its customers like dirt".
    id: 'mistreated',
    re: /\b(?:this\s+is|is\s+this)\s+how\s+(?:you|they|\w+)\s+treats?\b|\btreat(?:s|ed|ing)?\s+(?:your|their|its|us|me|customers)\s+(?:(?:loyal\s+)?customers?\s+)?like\s+(?:dirt|garbage|trash|crap|rubbish|idiots|criminals|cattle|a\s+number)\b/,
    valence: -2.0,
    unsaid: true,
  },
  {
    // Support that will not let a customer reach a person, or sends them round: "I just want to talk
    // to a real person", "can't get through to a human", "just a bot", "transferred 4 times", "the
    // same canned response", "closed my ticket without answering", "marked it resolved but…", "loops
    // me back to the main menu".
    id: 'runaround',
    re: /\b(?:(?:want|need|wanted|needed|trying|tried|try)\s+to\s+(?:talk|speak|chat)\s+(?:to|with)\s+(?:a\s+)?(?:real\s+|actual\s+|live\s+)?(?:human|person)|(?:can['’]?t|cannot|could\s*n['’]?t|unable\s+to|no\s+way\s+to|impossible\s+to)\s+(?:get\s+through\s+to|reach|talk\s+to|speak\s+to|get\s+hold\s+of|get)\s+(?:a\s+)?(?:real\s+|actual\s+|live\s+)?(?:human|person)|(?:just|only)\s+an?\s+(?:bot|chatbot|robot|script)|loops?\s+(?:me|us)\s+(?:back|around)|(?:sends?|sent|kicks?|kicked|dumps?|dumped|throws?|threw)\s+(?:me|us)\s+(?:back|straight)\s+to\s+the\s+(?:main\s+)?menu|(?:going|go|goes|went|sent\s+(?:me|us))\s+(?:round|around)\s+in\s+circles|(?:transferred|passed\s+around|bounced\s+around)\s+(?:\d+|two|three|four|five|six|seven|multiple|several|many)\s+times|(?:canned|copy[-\s]?pasted?|scripted|generic)\s+(?:response|reply|answer|email|message)s?|copy[-\s]?past(?:e|ed|ing)\s+(?:the\s+|their\s+|a\s+)?(?:faq|policy|terms|script|same|help)|closed\s+(?:my|the|our)\s+(?:ticket|case|complaint|request)\s+without|marked\s+(?:my\s+|the\s+|our\s+)?(?:ticket\s+|case\s+|issue\s+|it\s+)?(?:as\s+)?(?:resolved|solved|fixed|closed)\s+but)\b/,
    valence: -2.0,
    unsaid: true,
  },
  {
    // "auto-renewed and charged me $99", "charged me for a subscription I cancelled", "hidden fees",
    // "signed up for the free trial and they charged me anyway".
    id: 'unwanted-charge',
    re: /\bauto[-\s]?renew(?:ed|s)\b|\bautomatically\s+(?:renewed|charged|billed)\b|\bcharged\s+(?:me|us)\s+(?:without\s+(?:asking|consent|permission|warning|notice|telling)|for\s+(?:a|an|the|my)\s+(?:\w+\s+)?(?:i|we)\s+(?:cancell?ed|never\s+ordered|did\s*n['’]?t\s+order|returned))|\b(?:hidden|junk|surprise|sneaky|unexpected)\s+(?:fees?|charges?|costs?)\b|\b(?:charged|billed)\s+(?:me|us)\s+anyway\b/,
    valence: -2.0,
    // "charged" learned +0.90 from phones: "fully charged", "holds a charge".
    unsaid: true,
  },
  { id: 'return-it', re: /\b(?:return(?:ed|ing)?\s+(?:it|this|them)|sent\s+it\s+back)\b/, valence: -2.0 },
  {
    // "disappointed", "let me down", "I regret ordering": not when negated ("you won't be disappointed",
    // "never lets you down", "no regrets"), which is praise. "Never fails to disappoint" is negated twice.
    id: 'disappointed',
    re: /(?<!(?:\bnot|\bnever|\bno|\bcannot|\b(?:ca|wo|do|does|did|is|was|are|were|has|have|had|would|could|should)n['’]?t)\s+(?:(?:be|been|at\s+all|ever|once|really|remotely|one\s+bit|a\s+bit|the\s+least\s+bit)\s+)?)\b(?:disappoint\w*|lets?\s+(?:(?:me|us|you|him|her|them)\s+)?down|regret\w*)\b/,
    valence: -2.0,
  },
  { id: 'avoid', re: /\b(?:avoid|stay\s+away|do\s*n[o']t\s+(?:buy|bother|waste))\b/, valence: -2.0 },
  {
    // A problem put right: "got my refund", "they refunded me", "replaced it, no questions asked",
    // "sorted it out", "solved my problem". Not when negated ("they still haven't fixed my account"),
    // nor asked for ("can I get a refund?"). Read as an idiom whose words are unsaid: they are no
    // complaint ("refund") and its "no" negates nothing ("no questions asked").
    id: 'resolved',
    re: /(?<!(?:\bnot|\bnever|n['’]t)\s+(?:\w+\s+)?)\b(?:(?:issue|problem)\s+(?:is|was|has\s+been|got)\s+(?:now\s+)?(?:resolved|fixed|sorted)|(?:got|received)\s+(?:my|a|the|our|a\s+full|my\s+full)\s+(?:money\s+back|refund)|refunded\s+(?:me|us|my|our|the|it|in\s+full)|refund\s+(?:came|went)\s+through|(?:replac|fix|resolv|solv|sort)(?:ed|ing)\s+(?:it|them|my|the|this|everything|out)|(?:quick|fast|speedy|prompt|easy|smooth|hassle[-\s]free)\s+refund|sorted\s+(?:it|me|us|everything)\s+out|no\s+questions\s+asked|above\s+and\s+beyond|took\s+care\s+of\s+(?:it|me|us|everything|my))\b/,
    valence: 2.0,
    idiom: true,
    unsaid: true,
  },
  {
    // "Thanks @acme for losing my luggage", "thank you for nothing": the thanks is a complaint (its
    // own positive valence is then dropped, see `spanFeatures`).
    id: 'sarcastic-thanks',
    re: /\bthank(?:s|\s+you)(?:\s+(?:so\s+much|a\s+lot))?(?:\s+[@#]?[\w.]+)?\s+for\s+(?:nothing|never|(?:\w+\s+)?(?:losing|lost|ruining|ruined|wasting|wasted|breaking|broke|ignoring|ignored|cancell?(?:ing|ed)|delaying|delayed|overcharging|overcharged|charging\s+(?:me|us)\s+(?:twice|double)|double[-\s]charging|leaving\s+(?:me|us)|making\s+(?:me|us)\s+wait|the\s+(?:delay|wait|runaround|outage)))\b/,
    valence: -2.0,
  },
  {
    // "Love how they charge me twice", "gotta love it when the app crashes", "great job, my order is
    // late again": counted only where a complaint pattern matches the same span ("I love it when
    // they win", "the movie is well done" are praise).
    id: 'sarcastic-praise',
    re: /\b(?:(?:just\s+)?love\s+(?:how|it\s+when|when)|(?:gotta|got\s+to|you\s+(?:gotta|have\s+to))\s+love|(?:great|nice|good)\s+job|nice\s+one|thanks\s+a\s+(?:lot|bunch)|[,–—-]\s*(?:thanks|thank\s+you)|(?:wow|gee|oh)\W+(?:thanks|thank\s+you)|well\s+done|way\s+to\s+go|bravo|oh\s+great|just\s+great|just\s+what\s+i\s+needed|great,\s+(?:another|more))\b/,
    valence: -2.0,
  },
  {
    // "Can't recommend Acme enough", "couldn't be happier", "nothing beats it", "never lets me down",
    // "went out of their way to help", "is fire", "big W", "never had a single issue", "just gets it",
    // "knocked it out of the park", "hits different", "on another level", "my go-to", "a lifesaver",
    // "kept me dry", "still going strong", "my bills went down", "the battery life is insane",
    // "remembered my name", "so much faster than before", "my bill is half what it was", "blocks out
    // my whole commute", "called ahead", "waited while I got downstairs", "picks up everything".
    id: 'praise-idiom',
    re: /\b(?:(?:can['’]?t|cannot|can\s+not|couldn['’]?t|could\s+not)\s+(?:recommend|praise|thank)\s+(?:\S+\s+){0,4}?(?:highly\s+)?enough|(?:can['’]?t|cannot|couldn['’]?t|could\s+not)\s+(?:possibly\s+)?(?:be|get|have\s+been|ask\s+for\s+(?:an?|any))\s+(?:any\s+)?(?:better|happier|more\s+(?:happy|pleased|satisfied|impressed|thrilled|delighted))|nothing\s+(?:beats|compares\s+to|comes\s+close\s+to|tops)|(?:can['’]?t|cannot|could\s*n['’]?t)\s+fault\b|(?:went|goes|go|going)\s+out\s+of\s+(?:their|his|her|its|the)\s+way\s+to\s+(?:help|find|make\s+sure|fix|get|sort|accommodate|assist)|(?:never|won['’]?t|will\s+not|does\s*n['’]?t|does\s+not|did\s*n['’]?t|did\s+not)\s+(?:ever\s+)?(?:lets?\s+(?:me|us|you)\s+down|disappoints?\b)|(?:is|was|are|were|so|straight|absolutely|lowkey|highkey|kinda|pure|actually|looks|sounds|tastes)\s+(?:straight\s+|absolutely\s+|pure\s+)?fire\b(?!\s+(?:alarm|hazard|exit|department|sale|drill|risk|damage|fighters?|station))|(?:big|huge|massive|major|another|such\s+a|what\s+a)\s+w\b(?![-'’\w])|(?:never|not\s+once)\s+(?:had|have\s+had|experienced|run\s+into|ran\s+into)\s+(?:a\s+single|any|an?|one)\s+(?:issue|problem|complaint|fault|glitch|hiccup|outage|bug|crash|breakdown)s?\b(?!\s+(?:until|till|before|up\s+to))|(?:zero|not\s+a\s+single|not\s+one)\s+(?:issues?|problems?|complaints?|glitch(?:es)?|outages?|bugs?|crash(?:es)?|downtime)\b|(?:just|really|totally|truly)\s+gets?\s+it\b(?!\s+wrong)|(?:knocked|hit)\s+it\s+out\s+of\s+the\s+park|(?:nailed|smashed|crushed)\s+it\b|crush(?:es|ed|ing)?\s+(?:ice|everything|the\s+competition)\b|hits\s+different|on\s+(?:a\s+(?:whole\s+)?)?(?:another|different|other|next)\s+level|next[-\s]level|(?:my|our|the)\s+(?:new\s+)?go[-\s]to\b|game[-\s]?changer|life[-\s]?saver|kept\s+(?:me|us|my\s+\w+|the\s+\w+)\s+(?:dry|warm|cool|safe|going|sane)\b|still\s+going\s+strong|(?:still\s+)?(?:works|runs)\s+like\s+(?:new|a\s+charm|a\s+dream|the\s+day)|(?:my|our)\s+(?:\w+\s+)?(?:bills?|costs?|payments?)\s+(?:went|have\s+gone|has\s+gone|came)\s+down|saved\s+(?:me|us)\s+(?:a\s+(?:lot|ton|fortune)|\$?\d|so\s+much|hundreds|thousands)|picks?\s+up\s+(?:everything|every\s+(?:crumb|hair|speck|bit)|all\s+the\s+(?:hair|dust|crumbs|dirt))\b|called\s+(?:me\s+|us\s+)?ahead\b|waited\s+(?:for\s+(?:me|us)\s+)?while\s+(?:i|we)\b|remembered\s+(?:my|our)\s+(?:name|names|order|usual|birthday|preferences?)\b|(?<!\b(?:not|no|never)\s+|n['’]t\s+)(?:faster|quicker|easier|smoother|simpler|cheaper|clearer|quieter|more\s+reliable|more\s+stable)\s+than\s+(?:before|ever|it\s+used\s+to\s+be|it\s+was|the\s+old\s+(?:one|version|app|site|website|model))\b|(?:bills?|costs?|premiums?|payments?)\s+(?:is|are|was|were|has\s+been|have\s+been)\s+(?:now\s+|literally\s+|about\s+|almost\s+|nearly\s+|less\s+than\s+)?(?:half|a\s+third|a\s+quarter)\b|half\s+(?:of\s+)?what\s+(?:it|they)\s+(?:was|were|used\s+to\s+be)\b|blocks?\s+out\s+(?:all\s+|the\s+|my\s+|every\s+|any\s+)?(?:\w+\s+)?(?:noise|sounds?|commute|world|everything|distractions|chatter|traffic|office|room|plane|train|bus|street|neighbou?rs?|wind)\b|(?:battery(?:\s+life)?|camera|sound(?:\s+quality)?|picture(?:\s+quality)?|performance|speed|value|quality|range|bass|screen|display)\s+(?:(?:on|of|in)\s+(?:the\s+|my\s+|this\s+|that\s+)?(?:[\w-]+\s+){1,3}?)?(?:is|are|'s)\s+(?:just\s+|absolutely\s+|honestly\s+|actually\s+|so\s+)?(?:insane|crazy|unreal|nuts|bonkers|sick|wild)\b)/,
    valence: 2.0,
    idiom: true,
    unsaid: true,
  },
  {
    // "Couldn't be worse", "could be better", "used to be good", "never fails to disappoint", "has
    // gone downhill", "average at best" (not "at Best Buy"), "mid", "huge L for Acme", "slower than
    // before".
    id: 'complaint-idiom',
    re: /\b(?:(?:can['’]?t|cannot|couldn['’]?t|could\s+not)\s+(?:possibly\s+)?(?:be|get|have\s+been)\s+(?:any\s+)?worse|never\s+(?:fails|ceases)\s+to\s+(?:disappoint|let\s+(?:me|us|you)\s+down|frustrate|annoy|infuriate|irritate|underwhelm)|(?:gone|going|went|goes)\s+downhill|at\s+best\b(?!\s+buy)|could\s+(?:be|have\s+been)\s+(?:a\s+lot\s+|much\s+|way\s+|so\s+much\s+)?better|used\s+to\s+be\s+(?:so\s+|really\s+|very\s+|pretty\s+|actually\s+)?(?:good|great|better|amazing|awesome|decent|reliable|excellent|fantastic|the\s+best|my\s+favou?rite|affordable|cheap|fast)|(?:slower|worse|buggier|clunkier|harder\s+to\s+use|pricier|more\s+expensive|less\s+reliable|more\s+confusing)\s+than\s+(?:before|ever|it\s+used\s+to\s+be|it\s+was|the\s+old\s+(?:one|version|app|site|website|model))\b|(?:is|was|are|were|so|kinda|pretty|very|super|honestly|lowkey|straight|just|looks|tastes|feels|sounds)\s+mid\b(?![-'’\w])|(?:big|huge|massive|major|another|such\s+an?|what\s+an?|took\s+an?|taking\s+an?|take\s+the|took\s+the)\s+l\b(?![-'’\w]))/,
    valence: -2.0,
    idiom: true,
  },
  {
    // Service faster or further than asked of it: "answered in under a minute", "got back to me within
    // an hour", "next-day delivery", "arrived a day early", "at my door by 9am", "stayed on the line
    // until it worked".
    id: 'quick-service',
    re: /\b(?:(?:answered|replied|responded|got\s+back\s+to\s+(?:me|us)|picked\s+up|fixed\s+it|sorted\s+it(?:\s+out)?|resolved\s+it)\s+(?:with)?in\s+(?:under\s+|less\s+than\s+|about\s+|just\s+)?(?:a|an|one|two|three|five|ten|fifteen|\d+|a\s+few)\s+(?:seconds?|minutes?|mins?|hour)|(?<!\b(?:paid\s+for|pay\s+for|paying\s+for|ordered|chose|selected|booked|promised|guaranteed)\s+)(?:next|same)[-\s]day\s+(?:delivery|shipping|dispatch)|(?:shipped|sent|replaced|refunded|fixed|delivered|dispatched)\s+(?:\w+\s+){0,4}?(?:the\s+)?same\s+day\b|arrived\s+(?:a\s+day\s+|two\s+days\s+|\d+\s+days?\s+)?early|stayed\s+on\s+the\s+(?:line|phone|call)\s+(?:with\s+(?:me|us)\s+)?(?:until|for\s+(?:an?|one|two|\d+|over\s+an?)\s+(?:hours?|minutes?)\s+to\s+(?:sort|fix|help|get|make))|at\s+my\s+door\s+(?:by|within|the\s+next|next))\b/,
    valence: 2.0,
    unsaid: true,
  },
  {
    id: 'recommend',
    re: /\b(?:highly\s+recommend|would\s+recommend|must\s+(?:have|buy|see))\b/,
    valence: 2.0,
  },
];

/**
 * Where the first match of `re` in a span is, as offsets in the whole text ([from, to)); `lower` is the
 * span's text: the whole text's (the document), or a slice from its first token.
 */
function matchRange(read: ReadText, first: number, lower: string, re: RegExp): [number, number] | undefined {
  const match = re.exec(lower);
  if (!match) return undefined;
  const base = spanBase(read, first, lower);
  return [base + match.index, base + match.index + match[0].length];
}

/** The offset in the whole text of a span's text: 0 for the whole text's, else its first token's. */
function spanBase(read: ReadText, first: number, lower: string): number {
  return lower.length === read.lower.length ? 0 : (read.starts[first] ?? 0);
}

/**
 * Whether a complaint pattern of `patterns` (not a sarcasm one) matches the sentence holding offset
 * `at` of the span `first..last`, within the span.
 */
function complainsAround(
  read: ReadText,
  first: number,
  last: number,
  at: number,
  patterns: readonly Pattern[],
): boolean {
  let token = first;
  while (token < last && (read.ends[token] ?? 0) <= at) token++;
  const sentence = read.sentences[read.sentenceOf[token] ?? 0];
  const from = Math.max(first, sentence?.first ?? first);
  const to = Math.min(last, sentence?.last ?? last);
  const text = read.lower.slice(read.starts[from], read.ends[to]);
  return patterns.some(({ id, re, valence }) => valence < 0 && !SARCASM.has(id) && re.test(text));
}

const CANCEL_SWITCH = new RegExp((PATTERNS.find((p) => p.id === 'cancel-switch') as Pattern).re.source, 'g');
/** The word after a switch's "to": "to @Acme's", "to acme." → acme. */
const SWITCH_TARGET = /^\s*([@#]?[\p{L}\p{N}_.'’-]+)/u;

/**
 * Where a span switches to one of its brands ("switching to Acme", "moving to @acme next month"), as
 * offsets in the span's text of each "switching to", when every cancel or switch in it does: a
 * customer won, no complaint about the brand the text is about. Undefined otherwise ("Cancelled
 * Globex, moving to Acme" still cancels something; the brands' stances tell whom).
 */
function switchesToBrand(
  lower: string,
  brand: ReadonlySet<string> | undefined,
): Array<[number, number]> | undefined {
  if (!brand) return undefined;
  const ranges: Array<[number, number]> = [];
  CANCEL_SWITCH.lastIndex = 0;
  for (let match = CANCEL_SWITCH.exec(lower); match; match = CANCEL_SWITCH.exec(lower)) {
    if (!/\bto$/.test(match[0])) return undefined;
    const end = match.index + match[0].length;
    const target = SWITCH_TARGET.exec(lower.slice(end))?.[1] ?? '';
    if (!brand.has(target.replace(/^[@#]/, '').replace(/(?:['’]s)?[.'’-]*$/, ''))) return undefined;
    ranges.push([match.index, end]);
  }
  return ranges.length > 0 ? ranges : undefined;
}

/** Drops the valences of the words the first match of `re` in the span covers (a complaint put right). */
function dropValencesIn(
  read: ReadText,
  first: number,
  lower: string,
  re: RegExp,
  valences: Array<{ v: number; at: number }>,
): void {
  const range = matchRange(read, first, lower, re);
  if (!range) return;
  for (const entry of valences) {
    const start = read.starts[entry.at];
    if (entry.at >= 0 && start !== undefined && start >= range[0] && start < range[1]) entry.v = 0;
  }
}

/** Words before a "help" that was given rather than asked for. */
const HELP_GIVEN: ReadonlySet<string> = new Set([
  'your',
  'the',
  'their',
  'his',
  'her',
  'our',
  'great',
  'big',
  'huge',
  'real',
  'much',
  'such',
  'amazing',
  'excellent',
  'fantastic',
  'awesome',
  'wonderful',
]);
/** Praise words that a sarcasm pattern's match makes unsaid ("thanks … for losing my luggage"). */
const PRAISE: ReadonlySet<string> = new Set([
  'thanks',
  'thank',
  'love',
  'great',
  'nice',
  'good',
  'well',
  'bravo',
  'wow',
]);
/** Praise wrapped around a complaint (pattern ids). */
export const SARCASM: ReadonlySet<string> = new Set(['sarcastic-thanks', 'sarcastic-praise']);
/** Words of the problem a `resolved` pattern answers in the same span: no valence there. */
const PUT_RIGHT_WORDS: ReadonlySet<string> = new Set([
  'problem',
  'problems',
  'issue',
  'issues',
  'bug',
  'bugs',
  'error',
  'errors',
  'fault',
  'faulty',
  'defective',
  'damaged',
  'glitch',
]);
/** Complaint patterns that a `resolved` one answers in the same span. */
const PUT_RIGHT: ReadonlySet<string> = new Set(['refund', 'broken', 'return-it', 'not-delivered']);
/**
 * The characters of a regular expression's source that give it its structure: those outside escapes
 * and character classes, each with its group depth (a group's parentheses at the depth around it).
 */
function* sourceStructure(source: string): Generator<{ at: number; c: string; depth: number }> {
  let depth = 0;
  for (let at = 0, inClass = false; at < source.length; at++) {
    const c = source[at] as string;
    if (c === '\\') at++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else {
      if (c === ')') depth--;
      yield { at, c, depth };
      if (c === '(') depth++;
    }
  }
}

/**
 * A regular expression's source without its lookbehinds (`(?<!…)`, `(?<=…)`): it matches wherever the
 * expression does, and more. A lookbehind looks at the text before a match, which a part of a text
 * (a clause) may not have: the screens below must not rule a pattern out on that text.
 */
export function withoutLookbehinds(source: string): string {
  let out = '';
  let kept = 0;
  let open: { at: number; depth: number } | undefined;
  for (const { at, c, depth } of sourceStructure(source)) {
    if (!open && c === '(' && /^\(\?<[!=]/.test(source.slice(at, at + 4))) open = { at, depth };
    else if (open && c === ')' && depth === open.depth) {
      out += source.slice(kept, open.at);
      kept = at + 1;
      open = undefined;
    }
  }
  return out + source.slice(kept);
}

/** Each pattern's screen: its expression without lookbehinds (the same object when it has none). */
const SCREENS: readonly RegExp[] = PATTERNS.map(({ re }) => {
  const source = withoutLookbehinds(re.source);
  return source === re.source ? re : new RegExp(source);
});

/**
 * Every pattern's screen as one alternation: a text none of them matches anywhere fails it in one
 * scan (most texts), where trying each costs a scan apiece. Where one alternative matches, each
 * screen is tried on its own (two can overlap, and the alternation reports only the first).
 */
const ANY_PATTERN = anyOf(SCREENS.map((re) => re.source));

/**
 * One regular expression matching where any of `sources` does; the leading `\b` of those whose every
 * alternative opens with one tried once ("\bnobody came|n't arrived" keeps its own: "hasn't arrived"
 * has no word boundary before "n't").
 */
function anyOf(sources: readonly string[]): RegExp {
  const atWord: string[] = [];
  const others: string[] = [];
  for (const source of sources) {
    const alternatives = topLevelAlternatives(source);
    if (alternatives.every((a) => a.startsWith('\\b'))) {
      atWord.push(`(?:${alternatives.map((a) => a.slice(2)).join('|')})`);
    } else others.push(`(?:${source})`);
  }
  return new RegExp([`\\b(?:${atWord.join('|')})`, ...others].join('|'));
}

/** The alternatives of a regular expression's source at its top level ("a|(b|c)" → "a", "(b|c)"). */
function topLevelAlternatives(source: string): string[] {
  const alternatives: string[] = [];
  let start = 0;
  for (const { at, c, depth } of sourceStructure(source)) {
    if (c === '|' && depth === 0) {
      alternatives.push(source.slice(start, at));
      start = at + 1;
    }
  }
  alternatives.push(source.slice(start));
  return alternatives;
}

/**
 * The patterns that can match some part of a text (a sentence, a clause, the whole): those whose
 * screen matches the whole text. A part is tried on these only (every pattern's expression, a span
 * otherwise), and most texts on none.
 */
export function patternsOf(lower: string): readonly Pattern[] {
  if (!ANY_PATTERN.test(lower)) return [];
  return PATTERNS.filter((_, k) => (SCREENS[k] as RegExp).test(lower));
}

/** "soooo" → "so", "goooood" → "good": three or more repeats of a letter fold to two, then one. */
export function foldElongated(word: string, known?: ReadonlySet<string>): string {
  if (!/(\p{L})\1\1/u.test(word)) return word;
  const two = word.replace(/(\p{L})\1{2,}/gu, '$1$1');
  if (known?.has(two)) return two;
  const one = word.replace(/(\p{L})\1{2,}/gu, '$1');
  return known?.has(one) || !known ? one : two;
}

/**
 * Words of a hashtag: camel case ("#WorstFlightEver") or, for one lowercase run, the split into the
 * fewest known words ("#worstflightever" → worst flight ever); unknown → the tag itself.
 */
export function hashtagWords(tag: string, known: ReadonlySet<string>): string[] {
  const body = tag.replace(/^#/, '');
  const camel = body.match(/[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+/g);
  if (camel && camel.length > 1) return camel.map((w) => w.toLowerCase());
  const lower = body.toLowerCase();
  if (lower.length > 40 || known.size === 0) return [lower];
  // Fewest-words segmentation over known words of 2+ letters (dynamic programming).
  const best: Array<string[] | null> = new Array(lower.length + 1).fill(null);
  best[0] = [];
  for (let end = 1; end <= lower.length; end++) {
    for (let start = Math.max(0, end - 20); start < end; start++) {
      const prefix = best[start];
      const word = lower.slice(start, end);
      if (!prefix || (word.length < 2 && word !== 'a' && word !== 'i') || !known.has(word)) continue;
      const candidate = [...prefix, word];
      const current = best[end];
      if (!current || candidate.length < current.length) best[end] = candidate;
    }
  }
  return best[lower.length] ?? [lower];
}

function add(features: Features, key: string, value = 1): void {
  features.set(key, (features.get(key) ?? 0) + value);
}

export type FeatureContext = {
  /** Words the model knows: for hashtag splitting and elongation folding. */
  known: ReadonlySet<string>;
  /** Valence of words and emoticons, −4..4 (the VADER lexicon, shipped inside the model file). */
  lexicon: ReadonlyMap<string, number>;
  /**
   * Words of this text scored like identity terms (no feature, no valence): the names of the brands
   * it is about, which are no sentiment about them ("United" has a VADER valence of +1.8).
   */
  unscored?: ReadonlySet<string>;
  /** Proper names (places, people, titles): like identity terms, no sentiment of their own. */
  names?: ReadonlySet<string>;
};

/** VADER's constants: negation scale, booster step, CAPS emphasis. */
const NEGATION_SCALE = -0.74;
const NEGATION_WINDOW = 3;
const NEGATIONS = new Set([
  'not',
  'no',
  'never',
  'nothing',
  'nobody',
  'none',
  'neither',
  'nor',
  'without',
  'cannot',
  'nowhere',
  'aint',
  'isnt',
  'dont',
  'doesnt',
  'didnt',
  'wont',
  'wouldnt',
  'cant',
  'couldnt',
  'shouldnt',
  'wasnt',
  'werent',
  'havent',
  'hasnt',
]);
const FAIL_FORMS = new Set(['fail', 'fails', 'failed', 'failing']);
const BOOST = 0.293;
const CAPS_BOOST = 0.733;
const DAMPENERS = new Set([
  'barely',
  'hardly',
  'slightly',
  'somewhat',
  'marginally',
  'occasionally',
  'partly',
  'scarcely',
  'kinda',
  'sorta',
]);

/**
 * Features of one span of a read text: tokens `first..last` (inclusive), whose lowercased text is
 * `lower`. `winkScore` is wink's lexicon score of the span; `sentenceScores` the wink scores of its
 * sentences (one for a sentence span).
 */
export function spanFeatures(
  read: ReadText,
  first: number,
  last: number,
  lower: string,
  winkScore: number,
  sentenceScores: readonly number[],
  context: FeatureContext,
  /** The patterns to try: all of them, or those that can match a part of a text (`patternsOf`). */
  patterns: readonly Pattern[] = PATTERNS,
): Features {
  const features: Features = new Map();
  let afterContrast = false;
  let previous: string | null = null;
  let caps = 0;
  let exclaim = 0;
  let boosters = 0;
  let elongated = 0;
  let social = 0;
  let wordCount = 0;
  // VADER-style rule layer: per-word valences, scaled by boosters, CAPS, negation and contrast.
  // `at`: the token a valence is of (−1 for a pattern's).
  const valences: Array<{ v: number; contrastIndex: number; at: number }> = [];
  // A problem put right is not complained of: "got my refund", "replaced my broken blender".
  const found = patterns.filter(({ re }) => re.test(lower));
  // Words unsaid: a switch to the brand is no churn, and its words ("switching", learned from
  // reviews that leave) no sentiment; `praise`: only the praise words in it are.
  const unsaid: Array<{ from: number; to: number; praise: boolean }> = [];
  const switched = found.some(({ id }) => id === 'cancel-switch')
    ? switchesToBrand(lower, context.unscored)
    : undefined;
  if (switched) {
    const base = spanBase(read, first, lower);
    for (const [from, to] of switched) unsaid.push({ from: base + from, to: base + to, praise: false });
  }
  const resolved = found.some(({ id }) => id === 'resolved');
  const complaints = found.filter(
    ({ id }) => !(resolved && PUT_RIGHT.has(id)) && !(switched && id === 'cancel-switch'),
  );
  // The praise a sarcasm pattern wraps around a complaint ("thanks … for losing my luggage", "great
  // job, late again"): its praise words have no valence and make no feature, as if unsaid. "Love
  // how…", "great job" are sarcastic only where their sentence complains ("love how they charge me
  // twice"; not "Disappointed by the vinyl. Great job on the show!").
  const matched: Pattern[] = [];
  for (const pattern of complaints) {
    if (!SARCASM.has(pattern.id)) {
      matched.push(pattern);
      const range = pattern.unsaid ? matchRange(read, first, lower, pattern.re) : undefined;
      if (range) unsaid.push({ from: range[0], to: range[1], praise: false });
      continue;
    }
    const range = matchRange(read, first, lower, pattern.re);
    if (!range) continue;
    if (pattern.id === 'sarcastic-praise' && !complainsAround(read, first, last, range[0], complaints))
      continue;
    matched.push(pattern);
    unsaid.push({ from: range[0], to: range[1], praise: true });
  }
  let contrasts = 0;
  let boostPending = 0;
  const { values, normals, types, spaces } = read;
  let mixedCase = false;
  for (let i = first; i <= last && !mixedCase; i++) mixedCase = /\p{Ll}/u.test(values[i] as string);
  const addValence = (word: string, negated: boolean, shouted: boolean, at: number) => {
    const base = context.lexicon.get(word);
    // An idiom's words carry the idiom's valence, not their own.
    if (base === undefined || read.inIdiom[at]) return;
    let v = base;
    if (shouted && mixedCase) v += Math.sign(v) * CAPS_BOOST;
    if (boostPending !== 0) v += Math.sign(v) * boostPending;
    if (negated) v *= NEGATION_SCALE;
    valences.push({ v, contrastIndex: contrasts, at });
  };
  // A word is negated when one of the three words before it negates (VADER's window; wink's own
  // flag runs to the end of the clause and flips "isn't working … lol thats funny").
  let sinceNegation = NEGATION_WINDOW + 1;
  let lastType = '';
  let concessionOpen = false;
  for (let i = first; i <= last; i++) {
    const value = values[i] as string;
    const normal = normals[i] as string;
    const type = types[i] as string;
    const glued = spaces[i] === '' && lastType === 'word';
    lastType = type;
    if (type === 'punctuation') {
      sinceNegation = NEGATION_WINDOW + 1;
      if (value === '!') exclaim++;
      if (value === '?') add(features, 'x:question');
      if (value === '.' || value === ';') afterContrast = false;
      if (value === ',' && concessionOpen) {
        // "Although the camera is excellent, | the battery life is awful": the main clause follows.
        concessionOpen = false;
        afterContrast = true;
        contrasts++;
      }
      previous = null;
      continue;
    }
    if (type === 'symbol') {
      // wink splits text emoticons that open with a symbol ("=D" → "=" "d", ">:(" → ">" ":("): glued
      // back, the longest the lexicon knows is an emoticon. A lone symbol is no sentiment ("x = 1",
      // "> a quoted line", "=>"): it had learned weights ("=" +0.81, ">" −0.72) from split emoticons.
      let joined = normal;
      let emoticon = '';
      let end = i;
      for (let j = i + 1; j <= last && j <= i + 3 && spaces[j] === ''; j++) {
        joined += normals[j] as string;
        if (context.lexicon.has(joined)) {
          emoticon = joined;
          end = j;
        }
      }
      previous = null;
      if (emoticon === '') continue;
      social++;
      add(features, `e:${emoticon}`);
      addValence(emoticon, false, false, i);
      lastType = 'emoticon';
      i = end;
      continue;
    }
    if (type === 'url' || type === 'mention' || type === 'email' || type === 'number') {
      if (type !== 'number') social++;
      previous = null;
      continue;
    }
    if (type === 'emoticon' && glued) {
      // ":/" inside "http://…" is no emoticon.
      previous = null;
      continue;
    }
    if (type === 'emoji' || type === 'emoticon') {
      social++;
      add(features, `e:${normal}`);
      addValence(normal, false, false, i);
      previous = null;
      continue;
    }
    if (type === 'hashtag') social++;
    if (NEGATIONS.has(normal)) {
      // An idiom's negation ("couldn't be happier", "nothing beats") negates nothing: no scope, no feature.
      if (read.inIdiom[i]) {
        previous = null;
        continue;
      }
      sinceNegation = 0;
      previous = normal;
      continue;
    }
    sinceNegation++;
    const negated = sinceNegation <= NEGATION_WINDOW;
    const words =
      type === 'hashtag' ? hashtagWords(value, context.known) : [foldElongated(normal, context.known)];
    if (type === 'word') {
      if (value.length >= 3 && value === value.toUpperCase() && /\p{L}/u.test(value)) caps++;
      if (words[0] !== normal) elongated++;
      if (BOOSTERS.has(normal)) {
        boosters++;
        boostPending = BOOST;
        previous = normal;
        continue;
      }
      if (DAMPENERS.has(normal)) {
        boostPending = -BOOST;
        previous = normal;
        continue;
      }
      if (CONCESSIVE.has(normal)) {
        // A concession is the lesser clause: one that opens the span ends at its comma, where the
        // main clause starts; one after the main clause ("Great hotel, though the breakfast…") adds
        // no contrast.
        if (i === first) concessionOpen = true;
        previous = null;
        continue;
      }
      if (CONTRAST.has(normal)) {
        afterContrast = true;
        contrasts++;
        previous = null;
        continue;
      }
    }
    wordCount += words.length;
    const shouted = value.length >= 2 && value === value.toUpperCase() && /\p{L}/u.test(value);
    for (const word of words) {
      if (WORDS_WITHOUT_SENTIMENT.has(word) || context.names?.has(word) || context.unscored?.has(word)) {
        // Who people are is no sentiment (identity-terms.ts), nor is a place's, a person's or a
        // brand's name, nor a word of corporate news (news-words.ts): a word nobody scored, in no
        // feature.
        boostPending = 0;
        previous = null;
        continue;
      }
      if (unsaid.length > 0) {
        const start = read.starts[i] as number;
        if (unsaid.some((u) => start >= u.from && start < u.to && (!u.praise || PRAISE.has(word)))) {
          boostPending = 0;
          previous = null;
          continue;
        }
      }
      // Help asked for ("please help", "@acme help?", "can anyone help me") is no praise; help given
      // ("thanks for your help", "a big help") is, and help denied ("didn't help", "no help") a
      // complaint: VADER rates the word +1.7 in all three.
      if (word !== 'help' || negated || HELP_GIVEN.has(normals[i - 1] ?? '')) {
        addValence(word, negated, shouted, i);
      }
      boostPending = 0;
      const key = negated ? `n:${word}` : `w:${word}`;
      add(features, key);
      if (afterContrast) add(features, `c:${word}`);
      if (type === 'hashtag') add(features, `h:${word}`);
      if (previous !== null) add(features, `b:${previous}_${word}`);
      previous = negated ? `n:${word}` : word;
    }
    // "Can't believe how good it sounds", "could not believe how dirty…": an exclamation, which
    // negates nothing after it.
    if (negated && normal === 'believe') sinceNegation = NEGATION_WINDOW + 1;
    // "fails to impress" negates what follows; "never fails to amaze" is two negations, none left.
    else if (FAIL_FORMS.has(normal) && normals[i + 1] === 'to') {
      sinceNegation = negated ? NEGATION_WINDOW + 1 : 0;
    }
  }
  if (resolved) {
    // Its words are no complaint either: "replaced my broken blender" is no "broken", nor "I had a
    // problem with my order but they sorted it" a problem.
    for (const { id, re } of found) if (PUT_RIGHT.has(id)) dropValencesIn(read, first, lower, re, valences);
    for (const entry of valences)
      if (entry.at >= 0 && PUT_RIGHT_WORDS.has(read.normals[entry.at] as string)) entry.v = 0;
  }
  for (const { id, valence: v } of matched) {
    add(features, `p:${id}`);
    // A complaint pattern counts like a strongly negative word in the rule layer.
    valences.push({ v, contrastIndex: contrasts, at: -1 });
  }
  add(features, 's:wink', winkScore);
  // Contrast: what precedes the last "but" counts half, what follows it half as much again.
  let valence = 0;
  let positive = 0;
  let negative = 0;
  for (const { v, contrastIndex } of valences) {
    const scaled = contrasts === 0 ? v : contrastIndex < contrasts ? v * 0.5 : v * 1.5;
    valence += scaled;
    if (scaled > 0) positive++;
    else if (scaled < 0) negative++;
  }
  // "!!!" amplifies whichever way the text leans.
  if (valence !== 0) valence += Math.sign(valence) * Math.min(exclaim, 4) * 0.292;
  const lexiconScore = valence / Math.sqrt(valence * valence + 15);
  add(features, 's:lexicon', lexiconScore);
  // The lexicon's verdict as a step too: a clear lean is strong evidence on short social texts.
  if (lexiconScore > 0.05) add(features, lexiconScore > 0.5 ? 'x:lex++' : 'x:lex+');
  else if (lexiconScore < -0.05) add(features, lexiconScore < -0.5 ? 'x:lex--' : 'x:lex-');
  if (positive > 0) add(features, 'x:lexpos', Math.log1p(positive));
  if (negative > 0) add(features, 'x:lexneg', Math.log1p(negative));
  // Social posts (mentions, hashtags, links, emoji) lean on the lexicon more than long-form prose.
  if (social > 0) add(features, 's:lexicon*social', lexiconScore);
  // So do short texts, where a sentiment word is most of what there is.
  if (wordCount <= 25) add(features, 's:lexicon*short', lexiconScore);
  add(features, 's:min', Math.min(0, ...sentenceScores));
  add(features, 's:max', Math.max(0, ...sentenceScores));
  add(features, 's:last', sentenceScores.at(-1) ?? 0);
  if (caps > 0) add(features, 'x:caps', Math.log1p(caps));
  if (exclaim > 0) add(features, 'x:exclaim', Math.log1p(exclaim));
  if (boosters > 0) add(features, 'x:boost', Math.log1p(boosters));
  if (elongated > 0) add(features, 'x:elongated', Math.log1p(elongated));
  // Intensity matters through the polarity it amplifies.
  const intensity = Math.log1p(caps + exclaim + boosters + elongated);
  if (intensity > 0) {
    add(features, 's:wink*intense', winkScore * intensity);
    add(features, 's:lexicon*intense', lexiconScore * intensity);
  }
  add(features, 'bias');
  return features;
}

/**
 * The words of a word feature as `spanFeatures` writes them: one for "w:word", "n:word" (negated) and
 * "c:word" (after a contrast), two for "b:first_second" (without their "n:" marks); undefined for any
 * other feature.
 */
export function featureWords(feature: string): string[] | undefined {
  const prefix = feature.slice(0, 2);
  if (prefix === 'w:' || prefix === 'n:' || prefix === 'c:') return [feature.slice(2)];
  if (prefix !== 'b:') return undefined;
  return feature
    .slice(2)
    .split('_')
    .map((word) => (word.startsWith('n:') ? word.slice(2) : word));
}

/**
 * The common words of CONTRAST and CONCESSIVE that open a contrasting clause inside a sentence ("the screen is
 * great but the battery died"); not "yet", which mostly ends one ("it hasn't arrived yet"), nor
 * "while", mostly "during" there ("it crashed while uploading").
 */
const CLAUSE_CONTRAST = new Set(['but', 'however', 'although', 'though', 'whereas']);

/**
 * The clauses of the span `first..last` (a sentence) that a contrast sets against each other, as
 * [first, last] token pairs: split before a contrast word ("… great | but the battery died"), or, for a
 * sentence opening with one, after its first comma ("Although the screen is great, | the battery…").
 * One pair when there is no contrast.
 */
export function contrastClauses(read: ReadText, first: number, last: number): Array<[number, number]> {
  const { normals, values } = read;
  const clauses: Array<[number, number]> = [];
  let start = first;
  // Opening a sentence, a concession ends its first clause at the first comma: "Although the screen is great, …".
  let leading = CONCESSIVE.has(normals[first] as string);
  for (let i = first + 1; i <= last; i++) {
    const normal = normals[i] as string;
    if (leading && values[i] === ',') {
      if (i < last) clauses.push([start, i]);
      start = i + 1;
      leading = false;
    } else if (CLAUSE_CONTRAST.has(normal) && i > start && i < last) {
      clauses.push([start, i - 1]);
      start = i;
      leading = false;
    }
  }
  if (start <= last) clauses.push([start, last]);
  return clauses;
}

export type AnalysedSpans = {
  document: Features;
  /** Per sentence of `read.sentences`; a one-sentence text's sentence shares the document's Map. */
  sentences: Features[];
  /** The patterns a part of the text can match (`patternsOf`), for spans scored later (clauses). */
  patterns: readonly Pattern[];
};

/** The features of a read text as a whole and of each of its sentences. */
export function textFeatures(read: ReadText, context: FeatureContext, withSentences: boolean): AnalysedSpans {
  const sentenceScores = read.sentences.map((s) => s.winkScore);
  const last = read.values.length - 1;
  const patterns = patternsOf(read.lower);
  const document = spanFeatures(read, 0, last, read.lower, read.winkScore, sentenceScores, context, patterns);
  if (!withSentences) return { document, sentences: [], patterns };
  if (read.sentences.length === 1) return { document, sentences: [document], patterns };
  const sentences = read.sentences.map((sentence) =>
    spanFeatures(
      read,
      sentence.first,
      sentence.last,
      read.lower.slice(read.starts[sentence.first], read.ends[sentence.last]),
      sentence.winkScore,
      [sentence.winkScore],
      context,
      patterns,
    ),
  );
  return { document, sentences, patterns };
}

/**
 * The features of a part of a text, from the first of `sentences` to the last (with any between them),
 * as `textFeatures` gives a whole text's: what a text says besides its plain statements (plain.ts).
 */
export function partFeatures(
  read: ReadText,
  sentences: readonly ReadSentence[],
  context: FeatureContext,
  patterns: readonly Pattern[],
): Features {
  const first = sentences[0]?.first ?? 0;
  const last = sentences.at(-1)?.last ?? -1;
  const inside = read.sentences.filter((sentence) => sentence.first >= first && sentence.last <= last);
  const winkScores = inside.map((sentence) => sentence.winkScore);
  const winkScore = winkScores.reduce((sum, score) => sum + score, 0) / Math.max(1, winkScores.length);
  const lower = read.lower.slice(read.starts[first], read.ends[last]);
  return spanFeatures(read, first, last, lower, winkScore, winkScores, context, patterns);
}
