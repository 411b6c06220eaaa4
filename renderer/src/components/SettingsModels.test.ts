import { render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import { setLanguage } from '../lib/prefs.svelte.js';
import type { ModelInfo } from '../lib/types.js';
import { fakeBackend } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import SettingsModels from './SettingsModels.svelte';

const model = (id: string, task: string, title: string, overrides: Partial<ModelInfo> = {}): ModelInfo => ({
  id,
  task,
  description: title,
  license: 'MIT',
  bytes: 350_000_000,
  installed: false,
  active: false,
  installing: false,
  about: null,
  use: null,
  ...overrides,
});

describe('SettingsModels', () => {
  it('says which face models may be used commercially and which may not, before anyone downloads one', async () => {
    const backend = fakeBackend({
      'models.list': () => [
        model('yunet-sface', 'faces', 'YuNet + SFace', { use: 'permissive' }),
        model('buffalo-l', 'faces', 'InsightFace buffalo_l', { use: 'non-commercial', license: 'InsightFace: non-commercial research use only' }),
        model('clip-vit-b32', 'clip', 'CLIP'),
      ],
    });
    const app = new AppStore(backend.transport);
    render(Harness, { props: { app, component: SettingsModels, props: {} } });
    const item = async (id: string) => (await screen.findAllByTestId('model-item')).find((element) => element.dataset.modelId === id)!;
    expect(within(await item('yunet-sface')).getByTestId('model-use').textContent).toContain('Free for any use');
    expect(within(await item('buffalo-l')).getByTestId('model-use').textContent).toContain('Non-commercial use only');
    expect(within(await item('buffalo-l')).getByText('People (faces)')).toBeTruthy();
    expect(within(await item('clip-vit-b32')).queryByTestId('model-use')).toBeNull();
  });

  it('says why one would choose a search model: who it is for, its languages and speed, the published figures; their source one click away', async () => {
    const about = {
      languages: 'en' as const,
      speed: 'medium' as const,
      imagenetZeroShot: 0.782,
      retrieval: [{ dataset: 'COCO', metric: 'text-to-image R@1', value: 0.521 }],
      summary: 'The best search here for English queries.',
      figuresSource: 'SigLIP 2 (arXiv:2502.14786), Table 1',
    };
    const backend = fakeBackend({
      'models.list': () => [
        model('siglip2-vit-b16', 'clip', 'SigLIP 2 ViT-B/16', { about }),
        model('multi', 'clip', 'Multilingual CLIP', { about: { ...about, languages: 'multilingual', speed: 'fast', imagenetZeroShot: null, retrieval: [], summary: 'One index for every language.' } }),
        model('florence-2-base-ft', 'caption', 'Florence-2 base'),
      ],
    });
    const app = new AppStore(backend.transport);
    await app.reload();
    render(Harness, { props: { app, component: SettingsModels, props: {} } });
    const items = await screen.findAllByTestId('model-item');
    const siglip = within(items[0]!);
    expect(siglip.getByTestId('model-about').textContent).toBe('The best search here for English queries.');
    expect(siglip.getByTestId('model-figures').textContent).toBe('English queries · about four times the work per photo: best with a graphics card · ImageNet zero-shot 78.2% · COCO text-to-image R@1 52.1%');
    expect(siglip.getByText(/Figures as published: SigLIP 2/).closest('details')).not.toBeNull();
    expect(within(items[1]!).getByTestId('model-figures').textContent).toBe('Queries in about 100 languages · quick on a processor');
    expect(within(items[2]!).queryByTestId('model-about')).toBeNull();
  });

  it('leads with what a model is and what it is for; the id and licence stay one click away; a chosen model not yet downloaded says so once', async () => {
    const backend = fakeBackend({
      'models.list': () => [
        model('clip-vit-b32', 'clip', 'CLIP ViT-B/32 (OpenAI): English queries', { active: true }),
        model('florence-2-base-ft', 'caption', 'Florence-2 base: captions and text in photos', { installed: true }),
      ],
    });
    const app = new AppStore(backend.transport);
    await app.reload();
    render(Harness, { props: { app, component: SettingsModels, props: {} } });
    const [clip, florence] = await screen.findAllByTestId('model-item');
    const head = clip!.querySelector('.head')!;
    expect(head.textContent).toContain('CLIP ViT-B/32 (OpenAI): English queries');
    expect(head.textContent).toContain('search');
    expect(head.textContent).toContain('Chosen for search, not downloaded yet');
    expect(head.textContent).not.toContain('In use');
    expect(head.textContent).not.toContain('clip-vit-b32');
    const details = within(clip!).getByText('Details').closest('details')!;
    expect(details.open).toBe(false);
    expect(details.textContent).toContain('clip-vit-b32');
    expect(details.textContent).toContain('Licence: MIT');
    expect(florence!.querySelector('.head')!.textContent).toContain('captions');
    expect(florence!.querySelector('.head')!.textContent).toContain('Installed');
  });

  it('describes catalog models in Chinese when the UI is in Chinese; a model the catalog does not list keeps its English', async () => {
    const about = { languages: 'zh' as const, speed: 'medium' as const, imagenetZeroShot: null, retrieval: [], summary: 'For queries in Chinese: trained on Chinese captions; English queries work less well.', figuresSource: 'Chinese-CLIP' };
    const backend = fakeBackend({
      'models.list': () => [
        model('chinese-clip-vit-b16', 'clip', 'Chinese-CLIP ViT-B/16 (OFA-Sys), ONNX fp32: Chinese queries', { about }),
        model('someones-own-model', 'caption', 'A model from elsewhere'),
      ],
    });
    const app = new AppStore(backend.transport);
    setLanguage('zh-CN');
    try {
      render(Harness, { props: { app, component: SettingsModels, props: {} } });
      const [chinese, other] = await screen.findAllByTestId('model-item');
      expect(chinese!.querySelector('.title')!.textContent).toBe('Chinese-CLIP ViT-B/16（OFA-Sys），ONNX fp32：中文搜索');
      expect(within(chinese!).getByTestId('model-about').textContent).toBe('适合中文搜索：用中文说明训练；英文搜索效果较差。');
      expect(other!.querySelector('.title')!.textContent).toBe('A model from elsewhere');
    } finally {
      setLanguage('en');
    }
  });

  it('asks the server for the sizes the catalog does not pin, once the list shows', async () => {
    const unsized = model('qwen2-vl-2b-instruct', 'vqa', 'Qwen2-VL 2B', { bytes: null });
    const backend = fakeBackend({
      'models.list': () => [unsized],
      'models.learnSizes': () => [{ ...unsized, bytes: 1_500_000_000 }],
    });
    const app = new AppStore(backend.transport);
    await app.reload();
    render(Harness, { props: { app, component: SettingsModels, props: {} } });
    await waitFor(() => expect(screen.getByTestId('model-size').textContent).toBe('1.5 GB'));
    expect(backend.callsOf('models.learnSizes')).toHaveLength(1);
  });
});
