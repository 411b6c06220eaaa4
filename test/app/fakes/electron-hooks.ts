/** Module hooks that make `import ... from 'electron'` load the fake beside this file. */
let fakeUrl = '';

export function initialize(data: { fakeUrl: string }): void {
  fakeUrl = data.fakeUrl;
}

export async function resolve(specifier: string, context: unknown, nextResolve: (specifier: string, context: unknown) => Promise<unknown>): Promise<unknown> {
  if (specifier === 'electron') return { url: fakeUrl, shortCircuit: true, format: 'module' };
  return nextResolve(specifier, context);
}
