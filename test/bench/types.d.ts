// Minimal typings for the two CommonJS benchmark baselines that ship none.

declare module 'vader-sentiment' {
  type PolarityScores = { neg: number; neu: number; pos: number; compound: number };
  const vader: { SentimentIntensityAnalyzer: { polarity_scores(text: string): PolarityScores } };
  export = vader;
}

declare module 'sentiment' {
  type SentimentResult = {
    score: number;
    comparative: number;
    tokens: string[];
    words: string[];
    positive: string[];
    negative: string[];
  };
  class Sentiment {
    analyze(text: string, options?: { extras?: Record<string, number>; language?: string }): SentimentResult;
  }
  export = Sentiment;
}
