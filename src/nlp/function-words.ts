/**
 * English function words: the closed classes (determiners, pronouns, prepositions, conjunctions,
 * auxiliaries and modals, particles, number words). The sentiment model learns weights for them like
 * for any word ("an" +0.40 from the reviews it was trained on), and those weights count in every
 * score; but "an" or "not my" is no reason a person can read, so the reasons give their effects
 * summed as one (`commonFeatures` in analyzer.ts). Content words are never here: a general stop list
 * holds some ("call", "serious" and "empty" in wink's; "bill", "fire" and "system" in scikit-learn's),
 * and those are reasons in a complaint. Left out too: function words that carry a complaint or a
 * verdict of their own ("down", "up", "out", "off", "over", "like", "done", "again", "still", "ever").
 */
const DETERMINERS =
  'a an the this that these those my your his her its our their whose which what whatever whichever some any no every each either neither all both half several many much more most few fewer less least other another such own same enough';
const PRONOUNS =
  "i me myself we us ourselves you yourself yourselves he him himself she herself it itself they them themselves one ones mine yours hers ours theirs who whom whoever someone somebody something anyone anybody anything everyone everybody everything nobody nothing noone none i'm i've i'll i'd you're you've you'll you'd he's she's it's we're we've we'll we'd they're they've they'll they'd that's there's here's what's who's";
const PREPOSITIONS =
  'about above across after against along amid among around as at before behind below beneath beside besides between beyond by despite during except for from in inside into near of on onto outside past per since than through throughout till to toward towards under underneath unlike until upon via with within without';
const CONJUNCTIONS =
  'and or nor so because if unless whether whereas while when whenever where wherever then';
const AUXILIARIES =
  "be am is are was were been being have has had having do does did doing will would shall should can could may might must ought 'm 's 're 've 'll 'd ca wo";
const PARTICLES = 'to not there here also too just only';
const NUMBERS =
  'zero one two three four five six seven eight nine ten eleven twelve twenty hundred thousand first second third fourth fifth next';

export const FUNCTION_WORDS: ReadonlySet<string> = new Set(
  [DETERMINERS, PRONOUNS, PREPOSITIONS, CONJUNCTIONS, AUXILIARIES, PARTICLES, NUMBERS].flatMap((list) =>
    list.split(' '),
  ),
);
