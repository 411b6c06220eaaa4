import { loadOrt, ortLogLevel } from '../runtime/session.js';

/**
 * @huggingface/transformers, loaded on first use and locked to local files.
 *
 * Why this library and not an own generation loop: it carries the processors (Florence-2's task
 * prompts, Idefics3's image tiling and <image> token expansion, Qwen2-VL's dynamic resolution and
 * M-RoPE positions), the chat templates (Jinja), the tokenizers and a KV-cached generate() with
 * greedy and sampled decoding for every architecture Iris offers; rewriting those per model is
 * where bugs would live. It runs on the same onnxruntime-node version as the rest of Iris (4.x
 * depends on onnxruntime-node 1.30.0 exactly, so npm installs one copy). What stays ours: which
 * files are loaded (only verified ones, never from the network), which execution provider
 * (main/engine/runtime: its `auto` throws on Linux machines without CUDA instead of falling back),
 * streaming, stop strings and cancellation (generation/).
 */
export type Transformers = typeof import('@huggingface/transformers');

let loading: Promise<Transformers> | undefined;

export function loadTransformers(): Promise<Transformers> {
  loading ??= (async () => {
    const ort = await loadOrt();
    const transformers = await import('@huggingface/transformers');
    const { env } = transformers;
    // Models come from the models folder, by absolute path, after their sha256 was checked; never
    // from huggingface.co, and nothing is copied into a cache.
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.useFSCache = false;
    env.useBrowserCache = false;
    env.logLevel = process.env.IRIS_TRANSFORMERS_DEBUG ? transformers.LogLevel.DEBUG : transformers.LogLevel.ERROR;
    // Setting env.logLevel also sets onnxruntime's process-wide level; ours (fatal unless
    // IRIS_ORT_LOG_LEVEL) wins, or every machine without CUDA gets red provider errors on stderr.
    ort.env.logLevel = ortLogLevel();
    return transformers;
  })();
  return loading;
}
