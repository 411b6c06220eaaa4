import { type Catalog, type ModelEntry, catalogDirFor, loadCatalog } from './catalog.js';
import { isInstalled } from './verified.js';
import { ModelMissingError, UsageError, errorMessage } from '../errors.js';

/** The model a library uses for a task, and whether it can run. */
export interface ModelChoice {
  /** The model that would be used, when the catalog names one. */
  entry: ModelEntry | undefined;
  /** Its files are on disk (for CLIP, the image tower: the text tower is checked when a search needs it). */
  installed: boolean;
  /** Why there is no usable model, in words a person can act on. */
  reason: string | undefined;
  /** The model to download when that is all that is missing (a window offers a Download button). */
  missing?: string;
}

/** The catalog of the models folder (else the one bundled with Iris), or why it cannot be read. */
export function readCatalog(modelsDir: string): { catalog?: Catalog; error?: string } {
  try {
    // A models folder without its own catalog (app data) uses the one bundled with Iris.
    return { catalog: loadCatalog(catalogDirFor(modelsDir)) };
  } catch (error) {
    return { error: errorMessage(error) };
  }
}

const TASK_NAMES: Record<ModelEntry['task'], string> = { clip: 'CLIP', caption: 'captioning', vqa: 'question-answering', diffusion: 'diffusion', controlnet: 'ControlNet', faces: 'face' };

/** The model of `task` this library uses (the chosen id, else the catalog's default for the task), and whether it is installed. Never throws. */
export function chooseModel(modelsDir: string, task: ModelEntry['task'], chosenId: string | undefined): ModelChoice {
  const { catalog, error } = readCatalog(modelsDir);
  if (!catalog) return { entry: undefined, installed: false, reason: error };
  const name = TASK_NAMES[task];
  const candidates = catalog.models.filter((model) => model.task === task);
  const entry = chosenId ? candidates.find((model) => model.id === chosenId) : (candidates.find((model) => model.default) ?? candidates[0]);
  if (!entry) {
    const reason = chosenId
      ? `the library uses ${name} model ${chosenId}, which the catalog in ${modelsDir} does not list (known: ${candidates.map((m) => m.id).join(', ') || 'none'})`
      : `the catalog in ${modelsDir} lists no ${name} model`;
    return { entry: undefined, installed: false, reason };
  }
  const installed = isInstalled(modelsDir, entry);
  if (installed) return { entry, installed, reason: undefined };
  return { entry, installed, reason: `model ${entry.id} is not installed: run \`iris models install ${entry.id}\``, missing: entry.id };
}

/** Why a choice cannot run, as the error to throw: a ModelMissingError when a download cures it. */
export function unusableChoice(choice: ModelChoice, fallback: string): UsageError {
  const reason = choice.reason ?? fallback;
  return choice.missing ? new ModelMissingError(reason, choice.missing) : new UsageError(reason);
}
