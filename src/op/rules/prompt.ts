import { RelaisError } from '../../errors.ts';
import type { RequestRule } from './types.ts';

/** FC v2: `prompt` must contain both `login` and `consent`. */
export const promptLoginConsent: RequestRule = (params) => {
  const prompts = new Set((params.prompt ?? '').split(' '));
  return prompts.has('login') && prompts.has('consent') ? undefined : new RelaisError('R1008');
};
