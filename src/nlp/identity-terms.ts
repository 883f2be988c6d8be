/**
 * Words that say who people are — religion, nationality and ethnicity, sexual orientation and gender
 * identity, gender, disability — carry no sentiment in earshot's scores.
 *
 * A model learned from labelled reviews, tweets and editorials picks up whatever the words of those
 * sets happened to go with: trained freely, "jews" weighed −1.52, "gay" −1.07, "women" −0.86 and
 * "korean" +1.59, and wink-nlp's own lexicon scores "gay" +0.54 and "protestant" −1. A mention of a
 * brand's Pride campaign would then lean negative, with "gay" given as the reason. So these words are
 * read as words nobody has scored: they count as words (and sit in negation windows as words do), but
 * they get no feature of their own, form no two-word feature, take no valence from any lexicon, and
 * wink's sentence scores are taken with them masked (`read.ts`). Two texts that differ only in such
 * a word get the same score (tested).
 *
 * The list follows the identity terms used to measure this kind of bias in text classifiers (Dixon et
 * al., "Measuring and Mitigating Unintended Bias in Text Classification", AIES 2018), widened to
 * plurals, more nationalities and religions. Left out on purpose: colour words ("black", "white": also
 * product colours and "black screen" complaints) and age words ("old", "young": also about products
 * and versions); their plurals as nouns for people ("blacks", "whites") are in.
 */

const RELIGION = [
  'atheist',
  'atheists',
  'buddhism',
  'buddhist',
  'buddhists',
  'catholic',
  'catholics',
  'christian',
  'christianity',
  'christians',
  'evangelical',
  'evangelicals',
  'hindu',
  'hinduism',
  'hindus',
  'islam',
  'islamic',
  'jew',
  'jewish',
  'jews',
  'judaism',
  'mormon',
  'mormons',
  'muslim',
  'muslims',
  'protestant',
  'protestants',
  'sikh',
  'sikhs',
];

const NATIONALITY_AND_ETHNICITY = [
  'african',
  'africans',
  'american',
  'americans',
  'arab',
  'arabic',
  'arabs',
  'asian',
  'asians',
  'blacks',
  'brazilian',
  'brazilians',
  'british',
  'canadian',
  'canadians',
  'chinese',
  'european',
  'europeans',
  'french',
  'german',
  'germans',
  'hispanic',
  'hispanics',
  'indian',
  'indians',
  'iranian',
  'iranians',
  'irish',
  'israeli',
  'israelis',
  'italian',
  'italians',
  'japanese',
  'korean',
  'koreans',
  'latina',
  'latinas',
  'latino',
  'latinos',
  'latinx',
  'mexican',
  'mexicans',
  'nigerian',
  'nigerians',
  'pakistani',
  'pakistanis',
  'palestinian',
  'palestinians',
  'russian',
  'russians',
  'ukrainian',
  'ukrainians',
  'vietnamese',
  'whites',
];

const ORIENTATION_AND_GENDER_IDENTITY = [
  'bisexual',
  'bisexuals',
  'gay',
  'gays',
  'heterosexual',
  'heterosexuals',
  'homosexual',
  'homosexuals',
  'lesbian',
  'lesbians',
  'lgbt',
  'lgbtq',
  'nonbinary',
  'queer',
  'trans',
  'transgender',
  'transgenders',
];

const GENDER = [
  'boy',
  'boys',
  'female',
  'females',
  'girl',
  'girls',
  'male',
  'males',
  'man',
  'men',
  'woman',
  'women',
];

const DISABILITY = ['autistic', 'blind', 'deaf', 'disabled', 'wheelchair'];

/** Identity terms, lowercase (see above). */
export const IDENTITY_TERMS: ReadonlySet<string> = new Set([
  ...RELIGION,
  ...NATIONALITY_AND_ETHNICITY,
  ...ORIENTATION_AND_GENDER_IDENTITY,
  ...GENDER,
  ...DISABILITY,
]);
