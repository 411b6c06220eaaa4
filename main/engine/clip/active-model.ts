import { type ModelChoice, chooseModel } from '../models/choose-model.js';

/** The library setting that picks the CLIP model (else the catalog's default CLIP entry). */
export const CLIP_MODEL_SETTING = 'clip-model';

/** Which CLIP model this library uses, and whether it can run. Never throws. */
export function chooseClipModel(modelsDir: string, chosenId: string | undefined): ModelChoice {
  return chooseModel(modelsDir, 'clip', chosenId);
}
