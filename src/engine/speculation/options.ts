// Speculative decoding's settings, as the command line and the config name them.

import type { DraftLimits } from './draft-length.js';

/** `ngram`: drafts from the request's own tokens (prompt lookup); `draft`: from a small draft model. */
export type SpeculationType = 'none' | 'ngram' | 'draft';

export interface SpeculationOptions extends DraftLimits {
  type: SpeculationType;
  /** The draft model's GGUF (`type: 'draft'`). */
  draftModel?: string;
}

/**
 * llama-server's `--spec-type` values that mean one of ours: its n-gram variants differ in how
 * they index and match, ours is one adaptive prompt lookup; `draft-simple` is a draft model.
 */
const SPELLINGS: Readonly<Record<string, SpeculationType>> = {
  none: 'none',
  ngram: 'ngram',
  'ngram-simple': 'ngram',
  'ngram-map-k': 'ngram',
  'ngram-map-k4v': 'ngram',
  'ngram-mod': 'ngram',
  'ngram-cache': 'ngram',
  draft: 'draft',
  'draft-simple': 'draft',
};

export const SPECULATION_TYPES = Object.keys(SPELLINGS);

/** Our type for a `--spec-type` value, or undefined when we have nothing like it (e.g. llama-server's draft-eagle3). */
export function speculationType(value: string): SpeculationType | undefined {
  return SPELLINGS[value.trim().toLowerCase()];
}
