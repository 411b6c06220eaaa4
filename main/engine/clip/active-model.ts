import { type Catalog, type ModelEntry, catalogDirFor, loadCatalog } from '../models/catalog.js';
import { isInstalled } from '../models/verified.js';

/** The library setting that picks the CLIP model (else the catalog's default CLIP entry). */
export const CLIP_MODEL_SETTING = 'clip-model';

export interface ClipChoice {
  /** The model that would be used, when the catalog names one. */
  entry: ModelEntry | undefined;
  /** Its image tower is on disk (the text tower is checked when a search needs it). */
  installed: boolean;
  /** Why there is no usable model, in words a person can act on. */
  reason: string | undefined;
}

function readCatalog(modelsDir: string): { catalog?: Catalog; error?: string } {
  try {
    // A models folder without its own catalog (app data) uses the one bundled with Iris.
    return { catalog: loadCatalog(catalogDirFor(modelsDir)) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Which CLIP model this library uses, and whether it can run. Never throws. */
export function chooseClipModel(modelsDir: string, chosenId: string | undefined): ClipChoice {
  const { catalog, error } = readCatalog(modelsDir);
  if (!catalog) return { entry: undefined, installed: false, reason: error };
  const clips = catalog.models.filter((model) => model.task === 'clip');
  const entry = chosenId ? clips.find((model) => model.id === chosenId) : (clips.find((model) => model.default) ?? clips[0]);
  if (!entry) {
    const reason = chosenId
      ? `the library uses CLIP model ${chosenId}, which the catalog in ${modelsDir} does not list (known: ${clips.map((m) => m.id).join(', ') || 'none'})`
      : `the catalog in ${modelsDir} lists no CLIP model`;
    return { entry: undefined, installed: false, reason };
  }
  const installed = isInstalled(modelsDir, entry);
  return { entry, installed, reason: installed ? undefined : `model ${entry.id} is not installed: run \`iris models install ${entry.id}\`` };
}
