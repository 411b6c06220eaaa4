import { readCatalog } from '../models/choose-model.js';
import { ModelMissingError, UsageError } from '../errors.js';
import type { ModelEntry } from '../models/catalog.js';
import { ControlNetCatalogPreprocessingSchema, type ControlNetPreprocessing, DiffusionCatalogPreprocessingSchema, type DiffusionPreprocessing, type UnetKind } from '../models/diffusion-catalog.js';
import { isInstalled } from '../models/verified.js';
import type { EditMode } from './edit-params.js';

/** The UNet each mode needs: canny takes the ControlNet residuals, instruct an 8-channel sample. */
/** How messages name each mode's model. */
const MODE_NAMES: Record<EditMode, string> = { txt2img: 'text to image', img2img: 'photo to photo', canny: 'edge-guided edits', instruct: 'instruction edits' };
const UNET_FOR_MODE: Record<EditMode, UnetKind> = { txt2img: 'standard', img2img: 'standard', canny: 'controlnet', instruct: 'instruct-pix2pix' };

export interface DiffusionChoice {
  entry: ModelEntry;
  prep: DiffusionPreprocessing;
  controlnet: { entry: ModelEntry; prep: ControlNetPreprocessing } | null;
}

/**
 * The models an edit runs on: the chosen diffusion model (or the catalog's default for the mode's
 * UNet kind, else the first installed one), and for canny a ControlNet that pairs with it. Errors
 * say what to install.
 */
export function chooseDiffusionModels(modelsDir: string, mode: EditMode, chosen: { model?: string; controlnet?: string } = {}): DiffusionChoice {
  const { catalog, error } = readCatalog(modelsDir);
  if (!catalog) throw new UsageError(error ?? `no model catalog in ${modelsDir}`);
  const kind = UNET_FOR_MODE[mode];
  const candidates = catalog.models.filter((model) => model.task === 'diffusion' && DiffusionCatalogPreprocessingSchema.safeParse(model.preprocessing).data?.unet_kind === kind);
  const entry = pick(candidates, chosen.model, modelsDir, `diffusion model for ${MODE_NAMES[mode]} (${kind})`);
  const prep = DiffusionCatalogPreprocessingSchema.parse(entry.preprocessing);
  if (mode !== 'canny') return { entry, prep, controlnet: null };
  const controlnets = catalog.models.filter((model) => model.task === 'controlnet' && ControlNetCatalogPreprocessingSchema.safeParse(model.preprocessing).data?.pairs_with.includes(entry.id));
  const controlnet = pick(controlnets, chosen.controlnet, modelsDir, `canny ControlNet for ${entry.id}`);
  return { entry, prep, controlnet: { entry: controlnet, prep: ControlNetCatalogPreprocessingSchema.parse(controlnet.preprocessing) } };
}

function pick(candidates: readonly ModelEntry[], chosenId: string | undefined, modelsDir: string, what: string): ModelEntry {
  if (chosenId) {
    const entry = candidates.find((model) => model.id === chosenId);
    if (!entry) throw new UsageError(`${chosenId} is not a ${what} (the catalog has: ${candidates.map((model) => model.id).join(', ') || 'none'})`);
    if (!isInstalled(modelsDir, entry)) throw new ModelMissingError(`model ${entry.id} is not installed: run \`iris models install ${entry.id}\``, entry.id);
    return entry;
  }
  const installed = candidates.filter((model) => isInstalled(modelsDir, model));
  const entry = installed.find((model) => model.default) ?? installed[0];
  if (entry) return entry;
  const suggestion = candidates.find((model) => model.default) ?? candidates[0];
  if (suggestion) throw new ModelMissingError(`no ${what} is installed: run \`iris models install ${suggestion.id}\``, suggestion.id);
  throw new UsageError(`the catalog lists no ${what}`);
}
